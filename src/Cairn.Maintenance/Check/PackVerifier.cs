using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;

namespace Cairn.Maintenance.Check;

/// <summary>What reading one pack found.</summary>
internal sealed record PackVerification(List<(BlobEntry Entry, string Problem)> BadBlobs, List<string> PackProblems, long BytesRead, int BlobsRead);

/// <summary>
/// Reads a whole pack in ranges of up to 8 MiB that end on blob boundaries (as the restorer does), opens, decompresses
/// and re-hashes every blob the index lists, and checks that the pack's own header lists those blobs and accounts for its length. Together
/// that authenticates every byte of the pack: blobs, header and trailer.
/// </summary>
internal sealed class PackVerifier(ContentStore content, CheckProgress progress)
{
    private const int MaxRangeLength = 8 * 1024 * 1024;
    // Larger than any blob cairn writes (chunks are at most 4 MiB; a tree this big lists millions of entries): such a
    // length comes from a damaged index, and must not make check allocate gigabytes.
    private const long MaxBlobLength = 512L * 1024 * 1024;

    public async Task<PackVerification> VerifyAsync(ObjectId packId, long packLength, IReadOnlyList<BlobEntry> indexEntries, CancellationToken cancellationToken)
    {
        var bad = new List<(BlobEntry, string)>();
        var problems = new List<string>();
        var readable = new List<BlobEntry>();
        foreach (var e in indexEntries.OrderBy(e => e.Offset))
        {
            if (End(e) > packLength) bad.Add((e, $"it lies beyond the end of the pack ({packLength} bytes)"));
            else if (e.StoredLength > MaxBlobLength || e.RawLength > MaxBlobLength) bad.Add((e, "its length in the index is implausible"));
            else readable.Add(e);
        }
        var ends = readable.Select(End).Append(packLength).Distinct().Order().ToList();
        var straddling = new List<BlobEntry>();
        List<BlobEntry>? header = null;
        bool headerFailed = false;
        long bytesRead = 0;
        int blobsRead = 0, next = 0, boundary = 0;
        long pos = 0;
        while (pos < packLength)
        {
            while (ends[boundary] <= pos) boundary++;
            int pick = boundary;
            while (pick + 1 < ends.Count && ends[pick + 1] - pos <= MaxRangeLength) pick++;
            long end = ends[pick];
            int length = checked((int)(end - pos));
            var buffer = LargeBuffers.Pool.Rent(length);
            try
            {
                string? readError = null;
                try
                {
                    await content.ReadPackRangeAsync(packId, pos, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    bytesRead += length;
                    progress.AddBytesRead(length);
                }
                catch (Exception e) when (ReferenceWalker.IsUnreadable(e))
                {
                    readError = "it cannot be read: " + e.Message;
                    problems.Add($"bytes {pos}-{end} cannot be read: {e.Message}");
                }
                for (; next < readable.Count && readable[next].Offset < end; next++)
                {
                    var e = readable[next];
                    if (e.Offset < pos || End(e) > end) straddling.Add(e);
                    else if (readError is not null) bad.Add((e, readError));
                    else
                    {
                        blobsRead++;
                        if (VerifyBlob(packId, e, buffer.AsSpan((int)(e.Offset - pos), (int)e.StoredLength)) is { } problem) bad.Add((e, problem));
                    }
                }
                if (end == packLength && readError is null)
                {
                    try
                    {
                        header = HeaderFromLastRange(packId, buffer.AsSpan(0, length), pos, packLength);
                    }
                    catch (IntegrityException e)
                    {
                        problems.Add("header: " + Checker.ProblemOf(e));
                        headerFailed = true;
                    }
                }
            }
            finally
            {
                LargeBuffers.Pool.Return(buffer);
            }
            pos = end;
        }
        // Only index entries that overlap each other (a damaged index) land here: read them one by one.
        foreach (var e in straddling)
        {
            var buffer = LargeBuffers.Pool.Rent((int)e.StoredLength);
            try
            {
                await content.ReadPackRangeAsync(packId, e.Offset, buffer.AsMemory(0, (int)e.StoredLength), cancellationToken).ConfigureAwait(false);
                bytesRead += e.StoredLength;
                blobsRead++;
                if (VerifyBlob(packId, e, buffer.AsSpan(0, (int)e.StoredLength)) is { } problem) bad.Add((e, problem));
            }
            catch (Exception ex) when (ReferenceWalker.IsUnreadable(ex))
            {
                bad.Add((e, "it cannot be read: " + ex.Message));
            }
            finally
            {
                LargeBuffers.Pool.Return(buffer);
            }
        }
        if (header is null && !headerFailed)
        {
            try
            {
                header = await content.ReadPackHeaderAsync(packId, packLength, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (ReferenceWalker.IsUnreadable(e))
            {
                problems.Add("header: " + Checker.ProblemOf(e));
            }
        }
        if (header is not null && Checker.CompareHeader(header, indexEntries, packLength) is { } mismatch) problems.Add(mismatch);
        return new PackVerification(bad, problems, bytesRead, blobsRead);
    }

    private static long End(BlobEntry e) => (long)e.Offset + e.StoredLength;

    // The last range ends with the trailer and, unless the header is unusually long, holds the whole header too.
    private List<BlobEntry>? HeaderFromLastRange(ObjectId packId, ReadOnlySpan<byte> range, long rangeStart, long packLength)
    {
        if (range.Length < PackFormat.TrailerLength) return null;
        var description = $"pack {packId.ToShortString()}";
        var (start, length) = PackFormat.LocateHeader(range, packLength, description);
        return start < rangeStart ? null : PackFormat.OpenHeader(range.Slice((int)(start - rangeStart), length), start, content.Cipher, description);
    }

    private string? VerifyBlob(ObjectId packId, BlobEntry entry, ReadOnlySpan<byte> sealedBlob)
    {
        // With room to decompress in place, the pooled buffer is the only one: the codec needs no scratch of its own.
        var plain = LargeBuffers.Pool.Rent(ContentStore.DecodeRoom(entry));
        try
        {
            var destination = plain.AsSpan(0, (int)entry.RawLength);
            content.Decode(new BlobLocation(packId, entry), sealedBlob, plain);
            return content.Hasher.Compute(destination) == entry.Id ? null : "its content does not match its id";
        }
        catch (IntegrityException e)
        {
            return Checker.ProblemOf(e);
        }
        finally
        {
            LargeBuffers.Pool.Return(plain);
            progress.AddBlobRead();
        }
    }
}
