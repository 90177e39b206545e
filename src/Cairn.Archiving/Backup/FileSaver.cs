using Cairn.Content;
using Cairn.Platform;
using Cairn.Snapshots.Trees;

namespace Cairn.Archiving.Backup;

/// <summary>What reading one file produced: its chunks (and extents, if sparse), its size, and whether it changed underneath us.</summary>
internal sealed record FileContent(List<ObjectId> Chunks, List<Extent>? Extents, long Size, bool Changed, List<KeyValuePair<byte[], byte[]>>? ExtendedAttributes);

/// <summary>
/// Reads one file, cuts it into content-defined chunks and stores each chunk. One instance per worker: it owns a
/// read buffer sized for the largest chunk, so a file of any size streams through bounded memory.
/// </summary>
internal sealed class FileSaver
{
    private readonly ContentStore _content;
    private readonly BackupProgress _progress;
    private readonly byte[] _buffer;
    private readonly int _maxChunk;

    public FileSaver(ContentStore content, BackupProgress progress)
    {
        _content = content;
        _progress = progress;
        _maxChunk = content.Chunker.Parameters.MaxSize;
        // One maximal chunk plus room to read ahead; pages beyond what small files touch never become resident.
        _buffer = GC.AllocateUninitializedArray<byte>(_maxChunk + (1 << 20));
    }

    /// <summary>
    /// Reads and stores one file. <paramref name="stop"/> is checked between chunks only (an OperationCanceledException
    /// for it), never passed to the store, so a stop never leaves a store call half done.
    /// </summary>
    public async Task<FileContent> SaveAsync(DirectoryHandle directory, byte[] name, FileStatus before, CancellationToken stop, CancellationToken cancellationToken)
    {
        using var file = directory.OpenFile(name);
        List<Extent>? extents = null;
        // Holes are worth finding only when the file occupies less space than its size says.
        if (before.Size > 0 && before.AllocatedBytes < before.Size) extents = FindExtents(file, before.Size);
        if (extents is null && before.Size > _maxChunk) file.AdviseSequential();

        var chunks = new List<ObjectId>();
        long size = await ChunkAsync(file, extents, chunks, stop, cancellationToken).ConfigureAwait(false);

        var after = file.Stat();
        bool changed = after.ModifyTimeNs != before.ModifyTimeNs || after.ChangeTimeNs != before.ChangeTimeNs
            || after.Size != before.Size || (extents is null && size != before.Size);
        // Through the open descriptor: cheaper than by name, and it is the file whose content was just read.
        var xattrs = file.ReadExtendedAttributes();
        return new FileContent(chunks, extents, extents is null ? size : before.Size, changed, xattrs.Count > 0 ? xattrs : null);
    }

    private static List<Extent>? FindExtents(PosixFile file, long size)
    {
        var extents = new List<Extent>();
        long offset = 0;
        while (offset < size)
        {
            long data = file.SeekData(offset);
            if (data < 0 || data >= size) break;
            long hole = file.SeekHole(data);
            if (hole < 0 || hole > size) hole = size;
            extents.Add(new Extent(data, hole - data));
            offset = hole;
        }
        // A filesystem without SEEK_DATA reports one extent covering everything: treat that as a dense file.
        return extents.Count == 1 && extents[0].Offset == 0 && extents[0].Length == size ? null : extents;
    }

    // Streams the file (or its extents, back to back) through the chunker. Returns the number of bytes read.
    private async Task<long> ChunkAsync(PosixFile file, List<Extent>? extents, List<ObjectId> chunks, CancellationToken stop, CancellationToken cancellationToken)
    {
        int start = 0, end = 0;
        long total = 0;
        int extentIndex = 0;
        long extentPos = 0;
        bool eof = false;
        while (true)
        {
            // Keep at least one maximal chunk buffered, so the chunker can always find a boundary or hit MaxSize.
            while (!eof && end - start < _maxChunk)
            {
                if (start > 0 && end == _buffer.Length)
                {
                    Buffer.BlockCopy(_buffer, start, _buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                int n = ReadNext(file, extents, _buffer.AsSpan(end), ref extentIndex, ref extentPos);
                if (n == 0) eof = true;
                end += n;
                total += n;
            }
            if (end - start == 0) break;
            int length = _content.Chunker.FindBoundary(_buffer.AsSpan(start, end - start), eof);
            if (length <= 0) break;
            cancellationToken.ThrowIfCancellationRequested();
            stop.ThrowIfCancellationRequested();
            var stored = await _content.StoreAsync(ObjectType.Data, _buffer.AsMemory(start, length), cancellationToken).ConfigureAwait(false);
            chunks.Add(stored.Id);
            start += length;
            if (start == end)
            {
                start = end = 0;
            }
        }
        _progress.AddBytesRead(total);
        return total;
    }

    private static int ReadNext(PosixFile file, List<Extent>? extents, Span<byte> destination, ref int extentIndex, ref long extentPos)
    {
        if (extents is null) return file.Read(destination);
        while (extentIndex < extents.Count)
        {
            var extent = extents[extentIndex];
            long remaining = extent.Length - extentPos;
            if (remaining <= 0)
            {
                extentIndex++;
                extentPos = 0;
                continue;
            }
            int n = file.ReadAt(destination[..(int)Math.Min(destination.Length, remaining)], extent.Offset + extentPos);
            if (n == 0)
            {
                // The file shrank under us; the caller notices through the size check.
                extentIndex = extents.Count;
                return 0;
            }
            extentPos += n;
            return n;
        }
        return 0;
    }
}
