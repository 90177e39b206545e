using System.Buffers;
using Cairn.Content;

namespace Cairn.Orchestration.Jobs;

/// <summary>
/// Cuts a stream (a dump tool's stdout, an HTTP body) into the repository's content-defined chunks and stores each one,
/// so a dump that barely changed between runs stores only its changed chunks. Memory is one maximal chunk plus 1 MiB.
/// </summary>
internal static class StreamStorer
{
    /// <summary>
    /// Reads <paramref name="content"/> to its end; returns the chunk ids in order and the byte count. Reads observe
    /// <paramref name="readToken"/>, stores <paramref name="cancellationToken"/>: a job's checkpoint request stops the
    /// reading between chunks but never interrupts a store call, so the content store stays fit to flush.
    /// </summary>
    public static async Task<(List<ObjectId> Chunks, long Size)> StoreAsync(ContentStore store, Stream content, CancellationToken readToken,
        CancellationToken cancellationToken)
    {
        int maxChunk = store.Chunker.Parameters.MaxSize;
        var buffer = ArrayPool<byte>.Shared.Rent(maxChunk + (1 << 20));
        try
        {
            var chunks = new List<ObjectId>();
            int start = 0, end = 0;
            long total = 0;
            bool eof = false;
            while (true)
            {
                // The chunker needs a maximal chunk in view (or the end of the stream) to choose a boundary.
                while (!eof && end - start < maxChunk)
                {
                    if (start > 0 && end == buffer.Length)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    int n = await content.ReadAsync(buffer.AsMemory(end), readToken).ConfigureAwait(false);
                    if (n == 0) eof = true;
                    end += n;
                    total += n;
                }
                if (end == start) break;
                int length = store.Chunker.FindBoundary(buffer.AsSpan(start, end - start), eof);
                if (length <= 0) break;
                readToken.ThrowIfCancellationRequested();
                var stored = await store.StoreAsync(ObjectType.Data, buffer.AsMemory(start, length), cancellationToken).ConfigureAwait(false);
                chunks.Add(stored.Id);
                start += length;
                if (start == end) start = end = 0;
            }
            return (chunks, total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
