using System.Security.Cryptography;

namespace Cairn.Storage;

/// <summary>
/// The writer remote stores hand out: the blob collects in an anonymous temporary file and is uploaded from there on
/// commit, through <see cref="IBlobStore.PutAsync(BlobName, Stream, CancellationToken)"/>. A 16 MiB pack then costs
/// page cache, not process memory, and a retried upload can re-read it from the start.
/// </summary>
/// <remarks>
/// The temporary file is unlinked when the writer is disposed (committed or not); a killed process leaves it in the
/// spool folder, which is under the system temp directory and cleared by the OS.
/// </remarks>
public sealed class SpoolingBlobWriter : IBlobWriter
{
    private readonly IBlobStore _store;
    private readonly string _path;
    private FileStream? _file;
    private bool _committed;

    /// <summary>A writer whose blob is put into <paramref name="store"/>; spools under <paramref name="spoolDirectory"/>
    /// (default: $TMPDIR/cairn-spool).</summary>
    public SpoolingBlobWriter(IBlobStore store, string? spoolDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        var directory = spoolDirectory ?? Path.Combine(Path.GetTempPath(), "cairn-spool");
        _path = Path.Combine(directory, "pack-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
    }

    /// <inheritdoc/>
    public long Length { get; private set; }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        try
        {
            _file ??= Open();
            _file.Write(data);
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "spool", new BlobName(BlobKind.Pack, "new"), _path, Path.GetDirectoryName(_path)!);
        }
        Length += data.Length;
    }

    /// <inheritdoc/>
    public async Task CommitAsync(BlobName name, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _file ??= Open();
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        _file.Position = 0;
        await _store.PutAsync(name, _file, cancellationToken).ConfigureAwait(false);
        _committed = true;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_file is not null) await _file.DisposeAsync().ConfigureAwait(false);
        _file = null;
        _committed = true;
    }

    private FileStream Open()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        // DeleteOnClose: the file goes away with the handle, committed or not, so nothing accumulates.
        return new FileStream(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
    }
}
