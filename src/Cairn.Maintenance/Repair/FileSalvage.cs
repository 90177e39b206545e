using Cairn.Content;
using Cairn.Snapshots.Trees;

namespace Cairn.Maintenance.Repair;

/// <summary>
/// Rewrites the entry of a file that lost chunks so that it restores everything that survives, at the offsets where it
/// belongs:
/// <list type="bullet">
/// <item>A lost chunk whose length is known (its index entry survives, e.g. its pack is missing or the blob is corrupt)
/// becomes a hole: the file keeps its size, and the lost range restores as zeros. The entry becomes a sparse file whose
/// extents are the surviving chunks.</item>
/// <item>A lost chunk whose length is unknown (no index entry) cannot be skipped without shifting what follows, so the
/// file is cut at the start of that chunk: its size becomes that offset, and later chunks are dropped.</item>
/// <item>Either way the entry gets <see cref="NodeFlags.DataLost"/>.</item>
/// </list>
/// </summary>
internal static class FileSalvage
{
    /// <summary>The rewritten entry and a description of the loss, or null when the file lost nothing.</summary>
    public static (Node Node, string Message)? Salvage(Node file, IReadOnlySet<ObjectId> lost, Func<ObjectId, long?> rawLength)
    {
        var chunks = file.Content;
        if (chunks is null || !chunks.Exists(lost.Contains)) return null;
        var kept = new List<ObjectId>();
        var keptRanges = new List<Extent>(); // in content space: offsets within the concatenated chunks
        long position = 0, lostBytes = 0;
        int lostChunks = 0, cutAt = -1;
        for (int i = 0; i < chunks.Count; i++)
        {
            var id = chunks[i];
            var length = rawLength(id);
            bool isLost = lost.Contains(id);
            if (length is not { } known)
            {
                cutAt = i;
                break;
            }
            if (isLost)
            {
                lostChunks++;
                lostBytes += known;
            }
            else
            {
                kept.Add(id);
                Append(keptRanges, position, known);
            }
            position += known;
        }

        var copy = file.Copy();
        copy.Flags |= NodeFlags.DataLost;
        copy.Content = kept;
        var mapped = MapToFile(keptRanges, file.Extents);
        copy.Size = cutAt < 0 ? file.Size : FileOffset(position, file.Extents);
        bool dense = mapped.Count == 0 ? copy.Size == 0 : mapped.Count == 1 && mapped[0].Offset == 0 && mapped[0].Length == copy.Size;
        copy.Extents = dense && file.Extents is null ? null : Clamp(mapped, copy.Size);

        var message = $"{lostChunks + (cutAt >= 0 ? 1 : 0)} of its {chunks.Count} chunks are lost";
        if (lostChunks > 0) message += $"; {lostBytes} lost bytes restore as zeros";
        if (cutAt >= 0) message += $"; chunk {cutAt + 1} has no index entry, so the file is cut to {copy.Size} bytes (was {file.Size})";
        return (copy, message);
    }

    private static void Append(List<Extent> ranges, long offset, long length)
    {
        if (length == 0) return;
        if (ranges.Count > 0 && ranges[^1].Offset + ranges[^1].Length == offset)
            ranges[^1] = ranges[^1] with { Length = ranges[^1].Length + length };
        else
            ranges.Add(new Extent(offset, length));
    }

    // Content offsets of a sparse file map through its extents (the chunks fill them in order); a dense file's are file offsets.
    private static List<Extent> MapToFile(List<Extent> contentRanges, List<Extent>? extents)
    {
        if (extents is null) return contentRanges;
        var result = new List<Extent>();
        foreach (var range in contentRanges)
        {
            long contentStart = 0;
            foreach (var extent in extents)
            {
                long overlapStart = Math.Max(range.Offset, contentStart);
                long overlapEnd = Math.Min(range.Offset + range.Length, contentStart + extent.Length);
                if (overlapStart < overlapEnd) Append(result, extent.Offset + (overlapStart - contentStart), overlapEnd - overlapStart);
                contentStart += extent.Length;
            }
        }
        return result;
    }

    private static long FileOffset(long contentOffset, List<Extent>? extents)
    {
        if (extents is null) return contentOffset;
        long contentStart = 0;
        foreach (var extent in extents)
        {
            if (contentOffset < contentStart + extent.Length) return extent.Offset + (contentOffset - contentStart);
            contentStart += extent.Length;
        }
        return extents.Count == 0 ? 0 : extents[^1].Offset + extents[^1].Length;
    }

    // Chunk lengths that disagree with the recorded size (damaged metadata) must not produce extents past the end.
    private static List<Extent> Clamp(List<Extent> extents, long size)
    {
        var result = new List<Extent>(extents.Count);
        foreach (var e in extents)
        {
            if (e.Offset >= size) break;
            result.Add(e with { Length = Math.Min(e.Length, size - e.Offset) });
        }
        return result;
    }
}
