using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;
using Cairn.Maintenance.Check;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Maintenance.Repair;

/// <summary>What <see cref="IndexRebuilder"/> did.</summary>
public sealed record IndexRebuildResult(
    int PacksIndexed,
    long BlobsIndexed,
    IReadOnlyList<ObjectId> WrittenIndexFiles,
    IReadOnlyList<string> RemovedIndexFiles,
    IReadOnlyList<DamagedPack> DamagedPacks);

/// <summary>Live counters of an index rebuild.</summary>
public sealed class IndexRebuildProgress
{
    private long _packs, _headersRead;

    /// <summary>Packs found in storage.</summary>
    public long Packs => Interlocked.Read(ref _packs);

    /// <summary>Headers read so far.</summary>
    public long HeadersRead => Interlocked.Read(ref _headersRead);

    internal void SetPacks(long packs) => Interlocked.Exchange(ref _packs, packs);

    internal void AddHeaderRead() => Interlocked.Increment(ref _headersRead);
}

/// <summary>
/// <c>repair index</c>: rebuilds the index from the packs alone. It reads every pack's header (from the pack's tail),
/// writes new index files, the last of which supersedes every old index file, and only then deletes the old files, so a
/// crash at any point leaves a usable index. Packs whose header cannot be read are reported and left out: their blobs
/// are then missing, which <c>check</c> reports and <c>repair snapshots</c> deals with.
/// </summary>
public sealed class IndexRebuilder(Repository repository)
{
    // About 4.6 MB of index payload per file: small enough to load quickly, few enough files for big repositories.
    private const int MaxBlobsPerFile = 100_000;
    private const int Parallelism = 8;

    /// <summary>Live counters for a progress display.</summary>
    public IndexRebuildProgress Progress { get; } = new();

    /// <summary>Rebuilds the index. Damaged packs are reported in the result; storage errors are thrown before any deletion.</summary>
    public async Task<IndexRebuildResult> RunAsync(CancellationToken cancellationToken)
    {
        var content = repository.Content;
        // The old files are listed first: whatever they say, the new index is built from what the packs hold now.
        var oldFiles = new List<BlobName>();
        await foreach (var info in repository.Blobs.ListAsync(BlobKind.Index, cancellationToken).ConfigureAwait(false)) oldFiles.Add(info.Name);
        var packs = new List<BlobInfo>();
        await foreach (var info in repository.Blobs.ListAsync(BlobKind.Pack, cancellationToken).ConfigureAwait(false))
            if (ObjectId.TryParse(info.Name.Name, out _)) packs.Add(info);
        Progress.SetPacks(packs.Count);

        var headers = new ConcurrentBag<(ObjectId PackId, List<BlobEntry> Blobs)>();
        var damaged = new ConcurrentBag<DamagedPack>();
        await Parallel.ForEachAsync(packs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (info, ct) =>
        {
            var packId = ObjectId.Parse(info.Name.Name);
            try
            {
                headers.Add((packId, await content.ReadPackHeaderAsync(packId, info.Length, ct).ConfigureAwait(false)));
            }
            catch (Exception e) when (ReferenceWalker.IsUnreadable(e))
            {
                damaged.Add(new DamagedPack(packId, "its header cannot be read, so its blobs were left out of the index: " + Checker.ProblemOf(e)));
            }
            Progress.AddHeaderRead();
        }).ConfigureAwait(false);

        var files = new List<IndexFile>();
        var current = new IndexFile();
        int blobsInCurrent = 0;
        foreach (var (packId, blobs) in headers.OrderBy(h => h.PackId))
        {
            if (blobsInCurrent > 0 && blobsInCurrent + blobs.Count > MaxBlobsPerFile)
            {
                files.Add(current);
                current = new IndexFile();
                blobsInCurrent = 0;
            }
            current.Packs.Add((packId, blobs));
            blobsInCurrent += blobs.Count;
        }
        if (current.Packs.Count > 0) files.Add(current);
        // Only the last file written supersedes the old ones: a reader that honours "supersedes" must never find it
        // before every new file it relies on exists.
        if (files.Count > 0)
            foreach (var name in oldFiles)
                if (ObjectId.TryParse(name.Name, out var oldId)) files[^1].Supersedes.Add(oldId);

        var written = new List<ObjectId>();
        foreach (var file in files)
            written.Add(await content.SaveFileAsync(BlobKind.Index, ObjectType.Index, file.Encode(), compress: true, cancellationToken).ConfigureAwait(false));
        // An old file may have exactly the content of a new one (and so its name): that one must stay.
        var writtenNames = written.Select(id => id.ToString()).ToHashSet(StringComparer.Ordinal);
        var removed = new List<string>();
        foreach (var name in oldFiles)
        {
            if (writtenNames.Contains(name.Name)) continue;
            repository.Lease?.EnsureValid();
            await repository.Blobs.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
            removed.Add(name.Name);
        }
        return new IndexRebuildResult(headers.Count, headers.Sum(h => (long)h.Blobs.Count), written, removed,
            [.. damaged.OrderBy(d => d.PackId)]);
    }
}
