using System.Security.Cryptography;

namespace Cairn.Orchestration.Export;

/// <summary>
/// Feeds one file's stored content to <see cref="System.Formats.Tar.TarWriter"/>, hashing it on the way. TarWriter
/// refuses an unseekable data stream when the archive stream (a compressor) is unseekable too, because it must know
/// the size before the data; it only ever asks for Length and Position, so this stream reports both, claims to be
/// seekable, and refuses any actual seek.
/// </summary>
internal sealed class TarDataStream(Stream content, long length) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set
        {
            if (value != _position) throw new NotSupportedException("a stored file is read front to back");
        }
    }

    /// <summary>Lowercase hex SHA-256 of everything read.</summary>
    public string Sha256() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _hash.AppendData(buffer.Span[..n]);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => length + offset };
        Position = target;
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            content.Dispose();
        }
        base.Dispose(disposing);
    }
}
