using Cairn.Content;
using Cairn.Snapshots.Trees;

namespace Cairn.Orchestration.Jobs;

/// <summary>
/// Reads a stored file front to back, one chunk at a time, loading the next chunk while the current one is consumed:
/// a restore tool fed from it waits on the repository no longer than it must. A sparse file reads as its holes filled
/// with zeros. Not seekable.
/// </summary>
internal sealed class StoredFileStream : Stream
{
    private readonly ContentStore _content;
    private readonly IReadOnlyList<ObjectId> _chunks;
    // Chunks fill the extents back to back; outside them the file is a hole. A dense file is one extent.
    private readonly IReadOnlyList<Extent> _extents;
    private readonly long _size;
    private readonly string _description;
    private Task<byte[]>? _next;
    private int _nextIndex;
    private byte[] _current = [];
    private int _offset;
    private long _position;
    private int _extentIndex;

    public StoredFileStream(ContentStore content, Node node, string description)
    {
        _content = content;
        _chunks = node.Content ?? [];
        _size = node.Size;
        _extents = node.Extents ?? [new Extent(0, node.Size)];
        _description = description;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        while (_extentIndex < _extents.Count && _position >= _extents[_extentIndex].Offset + _extents[_extentIndex].Length) _extentIndex++;
        long dataStart = _extentIndex < _extents.Count ? _extents[_extentIndex].Offset : _size;
        if (_position < dataStart || _extentIndex == _extents.Count)
            return Zeros(buffer, Math.Min(dataStart, _size) - _position);
        while (_offset == _current.Length)
        {
            if (_nextIndex == _chunks.Count && _next is null)
                throw new IntegrityException(_description, $"its chunks end at byte {_position} but its size is {_size}");
            _next ??= LoadNext(cancellationToken);
            _current = await _next.ConfigureAwait(false);
            _offset = 0;
            _next = _nextIndex < _chunks.Count ? LoadNext(cancellationToken) : null;
        }
        var extent = _extents[_extentIndex];
        int n = (int)Math.Min(Math.Min(buffer.Length, _current.Length - _offset), extent.Offset + extent.Length - _position);
        _current.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        _position += n;
        if (_position == _size && (_offset < _current.Length || _nextIndex < _chunks.Count))
            throw new IntegrityException(_description, $"its chunks hold more than its size of {_size} bytes");
        return n;
    }

    private int Zeros(Memory<byte> buffer, long count)
    {
        int n = (int)Math.Min(buffer.Length, count);
        buffer.Span[..n].Clear();
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous callers (CopyTo into a process's stdin) get the same data; blocking is theirs to choose.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private Task<byte[]> LoadNext(CancellationToken cancellationToken) => _content.LoadAsync(ObjectType.Data, _chunks[_nextIndex++], cancellationToken);

    protected override void Dispose(bool disposing)
    {
        // A prefetch still running must not fault unobserved.
        _next?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        base.Dispose(disposing);
    }
}
