namespace Cairn.Storage.Rest;

/// <summary>
/// One duplex stream over a child's standard output (read) and standard input (write), which is what an HTTP
/// connection needs. <c>onRead</c> learns of every successful read (so the owner knows the child answered);
/// disposing the stream calls <c>onDispose</c> (which closes the child's input, so it ends).
/// </summary>
internal sealed class PipeStream(Stream input, Stream output, Action onRead, Func<ValueTask> onDispose) : Stream
{
    private int _disposed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Note(input.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Note(await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        output.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        output.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => output.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private int Note(int read)
    {
        if (read > 0) onRead();
        return read;
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) await onDispose().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        // The HTTP handler may dispose synchronously; stopping the child must not block it, so it runs on its own.
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0) _ = Task.Run(async () => await onDispose().ConfigureAwait(false));
        base.Dispose(disposing);
    }
}
