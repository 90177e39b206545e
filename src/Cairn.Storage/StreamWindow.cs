namespace Cairn.Storage;

/// <summary>
/// A read-only, seekable view of <c>length</c> bytes of another stream from <c>start</c> on: a remote store uploads
/// one blob (or one block of it) straight from a spool file this way. HTTP clients read a request body from position 0
/// to Length and may seek back to resend it, while the blob starts wherever the caller left the file's position.
/// Disposing the window leaves the inner stream open: the spool file belongs to its writer.
/// </summary>
public sealed class StreamWindow : Stream
{
    private readonly Stream _inner;
    private readonly long _start;
    private long _position;

    /// <summary>The window of <paramref name="length"/> bytes of <paramref name="inner"/> from <paramref name="start"/>.</summary>
    public StreamWindow(Stream inner, long start, long length)
    {
        _inner = inner;
        _start = start;
        Length = length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, Math.Max(0, Length - _position));
        if (wanted == 0) return 0;
        _inner.Position = _start + _position;
        var read = _inner.Read(buffer[..wanted]);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = (int)Math.Min(buffer.Length, Math.Max(0, Length - _position));
        if (wanted == 0) return 0;
        _inner.Position = _start + _position;
        var read = await _inner.ReadAsync(buffer[..wanted], cancellationToken).ConfigureAwait(false);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        SeekOrigin.End => Length + offset,
        _ => throw new ArgumentOutOfRangeException(nameof(origin)),
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
