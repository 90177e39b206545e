using System.Collections.Concurrent;
using Renci.SshNet.Common;

namespace Cairn.Storage.Sftp;

/// <summary>
/// Up to <c>TransferOptions.Connections</c> SFTP sessions, each its own SSH connection, so that transfers run in
/// parallel (one SFTP channel serves one request stream; OpenSSH also caps sessions per connection). Sessions are
/// opened on demand and kept for reuse; one whose connection broke is thrown away and replaced on the next use.
/// </summary>
internal sealed class SftpSessionPool : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<SftpSession>> _connect;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentStack<SftpSession> _idle = new();
    private bool _disposed;

    public SftpSessionPool(int size, Func<CancellationToken, Task<SftpSession>> connect)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _connect = connect;
        _slots = new SemaphoreSlim(size, size);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on a session. If a reused session turns out to have lost its connection (the
    /// server restarted, or dropped it while idle), the operation runs once more on a fresh session: every store
    /// operation may be repeated (puts write a new temporary name each time).
    /// </summary>
    public async Task<T> RunAsync<T>(Func<SftpSession, Task<T>> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var (session, reused) = await RentAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var result = await operation(session).ConfigureAwait(false);
                    _idle.Push(session);
                    return result;
                }
                catch (Exception e) when (e is SftpException or StorageException && session.IsConnected)
                {
                    // The server answered with an error status: the session itself is fine.
                    _idle.Push(session);
                    throw;
                }
                catch (Exception e) when (reused && attempt == 0 && SftpErrors.IsConnectionLost(e) && !cancellationToken.IsCancellationRequested)
                {
                    session.Dispose();
                }
                catch
                {
                    // Also after cancellation: SSH.NET may still deliver the abandoned request's answer on that channel.
                    session.Dispose();
                    throw;
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryPop(out var session)) session.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(SftpSession Session, bool Reused)> RentAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryPop(out var idle))
        {
            if (idle.IsConnected) return (idle, true);
            idle.Dispose();
        }

        return (await _connect(cancellationToken).ConfigureAwait(false), false);
    }
}
