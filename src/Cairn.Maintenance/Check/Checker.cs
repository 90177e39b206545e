using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Content.Index;
using Cairn.Content.Packs;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Maintenance.Check;

/// <summary>
/// Verifies a repository and reports exactly what is damaged and which snapshot entries that costs. By default it checks
/// structure: every index and snapshot file opens, every snapshot's trees exist and decode, every referenced chunk is
/// indexed, every pack the index names exists with the size the index implies. With <see cref="CheckOptions.ReadData"/>
/// it also reads packs and verifies every blob in them. It never modifies the repository.
/// </summary>
/// <remarks>
/// Open the repository with <c>loadIndex: false</c>: the checker reads the index files itself, so a damaged one is
/// reported rather than fatal, and it loads intact packs into the in-memory index before damaged ones, so that a blob
/// with a good copy is read from it.
/// </remarks>
public sealed class Checker(Repository repository, CheckOptions options)
{
    private readonly Lock _gate = new();
    // (blob, pack) → the damaged copy; the pack is Zero for a referenced blob that no index lists.
    private readonly Dictionary<(ObjectId Blob, ObjectId Pack), DamagedBlob> _badCopies = [];
    private readonly HashSet<DamagedPack> _packProblems = [];
    private readonly HashSet<ObjectId> _coldHeaders = [];

    /// <summary>Live counters for a progress display.</summary>
    public CheckProgress Progress { get; } = new();

    /// <summary>Runs the check. Damage is reported in the result, not thrown; storage failures and cancellation are thrown.</summary>
    public async Task<CheckReport> RunAsync(CancellationToken cancellationToken)
    {
        var content = repository.Content;
        Progress.Phase = "listing packs";
        var listed = new Dictionary<ObjectId, BlobInfo>();
        await foreach (var info in repository.Blobs.ListAsync(BlobKind.Pack, cancellationToken).ConfigureAwait(false))
            if (ObjectId.TryParse(info.Name.Name, out var id)) listed[id] = info;
        var stored = listed.ToDictionary(p => p.Key, p => p.Value.Length);

        Progress.Phase = "reading the index";
        var (indexed, indexFiles, damagedIndexFiles) = await ReadIndexAsync(content, cancellationToken).ConfigureAwait(false);

        // The packs to read are chosen (and, when archived, thawed or refused by the caller) before anything else is
        // checked, so a command that cannot read them stops at once.
        IReadOnlyList<ObjectId> selected = [];
        if (options.ReadData is { } subset)
        {
            selected = subset.Select([.. indexed.Keys.Where(stored.ContainsKey)]);
            if (options.BeforeReadingData is { } beforeReading)
                await beforeReading([.. selected.Select(p => listed[p])], cancellationToken).ConfigureAwait(false);
        }

        Progress.Phase = "checking packs";
        var badPacks = await CheckPackStructureAsync(content, indexed, listed, cancellationToken).ConfigureAwait(false);
        // Intact packs first: the in-memory index keeps a blob's first location, and that is the one trees are read from.
        foreach (var (packId, blobs) in indexed.OrderBy(p => badPacks.Contains(p.Key))) content.Index.AddPack(packId, blobs);

        Progress.Phase = "reading snapshots";
        var (snapshots, damagedSnapshots) = await ReadSnapshotsAsync(cancellationToken).ConfigureAwait(false);

        Progress.Phase = "checking trees";
        var unreadable = new List<UnreadableTree>();
        var references = await ReferenceWalker.CollectAsync(repository, snapshots, unreadable.Add, cancellationToken).ConfigureAwait(false);
        // A tree in an archived pack (an older repository's mixed pack, moved by a lifecycle rule) is intact, only cold:
        // reported as not read, never as damage.
        var coldTrees = unreadable.Where(t => t.Error is BlobArchivedException).Select(t => new ColdTree(t.TreeId, t.Path))
            .OrderBy(t => t.Path, StringComparer.Ordinal).ToList();
        foreach (var tree in unreadable.Where(t => t.Error is not BlobArchivedException))
        {
            var pack = content.Index.TryGet(tree.TreeId, out var location) ? location.PackId : ObjectId.Zero;
            AddBadCopy(tree.TreeId, ObjectType.Tree, pack, $"{ProblemOf(tree.Error)} (first seen at {tree.Path})");
        }
        foreach (var id in references.Data)
            if (!content.Index.TryGet(id, out var location) || location.Entry.Type != ObjectType.Data)
                AddBadCopy(id, ObjectType.Data, ObjectId.Zero, "no index entry lists it: it is missing from the repository");

        int packsRead = 0;
        if (options.ReadData is not null)
        {
            Progress.Phase = "reading data";
            Progress.SetToRead(selected.Count, selected.Sum(p => stored[p]));
            var verifier = new PackVerifier(content, Progress);
            await Parallel.ForEachAsync(selected, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.ReadWorkers), CancellationToken = cancellationToken },
                async (packId, ct) =>
                {
                    var result = await verifier.VerifyAsync(packId, stored[packId], indexed[packId], ct).ConfigureAwait(false);
                    foreach (var (entry, problem) in result.BadBlobs) AddBadCopy(entry.Id, entry.Type, packId, problem);
                    foreach (var problem in result.PackProblems) AddPackProblem(packId, problem);
                    Progress.AddPackRead();
                }).ConfigureAwait(false);
            packsRead = selected.Count;
        }

        var damagedBlobs = MarkIntactCopies(indexed, stored);
        var lost = damagedBlobs.Where(b => !b.HasIntactCopy).Select(b => b.Id).ToHashSet();
        List<AffectedEntry> affected = [];
        if (lost.Count > 0)
        {
            Progress.Phase = "finding affected files";
            affected = await new DamageLocator(repository, lost).LocateAsync(snapshots, cancellationToken).ConfigureAwait(false);
        }
        var order = snapshots.Select((s, i) => (s.Id, i)).ToDictionary(x => x.Id, x => x.i);
        return new CheckReport
        {
            Snapshots = snapshots.Count + damagedSnapshots.Count,
            IndexFiles = indexFiles,
            Packs = stored.Count,
            IndexedBlobs = content.Index.Count,
            Trees = references.Trees.Count,
            DataBlobs = references.Data.Count,
            ReadDataSubset = options.ReadData?.ToString(),
            PacksRead = packsRead,
            BlobsRead = Progress.BlobsRead,
            BytesRead = Progress.BytesRead,
            DamagedIndexFiles = [.. damagedIndexFiles.OrderBy(f => f.Name, StringComparer.Ordinal)],
            DamagedSnapshots = [.. damagedSnapshots.OrderBy(f => f.Name, StringComparer.Ordinal)],
            DamagedPacks = [.. _packProblems.OrderBy(p => p.PackId).ThenBy(p => p.Problem, StringComparer.Ordinal)],
            DamagedBlobs = damagedBlobs,
            Affected = [.. affected.OrderBy(a => order[a.SnapshotId]).ThenBy(a => a.Path, StringComparer.Ordinal)],
            UnreferencedPacks = [.. stored.Keys.Where(p => !indexed.ContainsKey(p)).Order()],
            ArchivedPacks = listed.Values.Count(p => p.IsArchived),
            ArchivedBytes = listed.Values.Where(p => p.IsArchived).Sum(p => p.Length),
            ArchivedClasses = [.. listed.Values.Where(p => p.IsArchived).Select(p => p.StorageClass ?? "archive").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            ColdPackHeaders = [.. _coldHeaders.Order()],
            ColdTrees = coldTrees,
            SnapshotList = snapshots,
        };
    }

    /// <summary>The problem part of an error message, without the object name the report shows anyway.</summary>
    public static string ProblemOf(Exception error)
    {
        if (error is IntegrityException integrity && integrity.Message.StartsWith(integrity.ObjectDescription + " is damaged: ", StringComparison.Ordinal))
            return integrity.Message[(integrity.ObjectDescription.Length + " is damaged: ".Length)..];
        return error.Message;
    }

    // Reads every index file; files that another present file supersedes are ignored (a rewrite that was interrupted
    // before it deleted them), damaged or not.
    private async Task<(Dictionary<ObjectId, IReadOnlyList<BlobEntry>> Packs, int Files, List<DamagedFile> Damaged)> ReadIndexAsync(
        ContentStore content, CancellationToken cancellationToken)
    {
        var files = new ConcurrentBag<(BlobName Name, IndexFile File)>();
        var damaged = new ConcurrentBag<(BlobName Name, string Problem)>();
        await content.ReadIndexFilesAsync((name, file) => files.Add((name, file)), (name, e) => damaged.Add((name, ProblemOf(e))), cancellationToken)
            .ConfigureAwait(false);
        var superseded = files.SelectMany(f => f.File.Supersedes).Select(id => id.ToString()).ToHashSet(StringComparer.Ordinal);
        var packs = new Dictionary<ObjectId, IReadOnlyList<BlobEntry>>();
        foreach (var (name, file) in files.OrderBy(f => f.Name.Name, StringComparer.Ordinal))
        {
            if (superseded.Contains(name.Name)) continue;
            foreach (var (packId, blobs) in file.Packs)
                if (!packs.TryAdd(packId, blobs) && !packs[packId].OrderBy(b => b.Offset).SequenceEqual(blobs.OrderBy(b => b.Offset)))
                    AddPackProblem(packId, "index files disagree about its blobs (run 'cairn repair index')");
        }
        var result = damaged.Where(d => !superseded.Contains(d.Name.Name)).Select(d => new DamagedFile(d.Name.Name, d.Problem)).ToList();
        return (packs, files.Count + damaged.Count, result);
    }

    // Sizes from the listing against what the index implies; headers are read only for packs whose index entries leave
    // gaps (where the size cannot be computed). Returns the packs found damaged.
    private async Task<HashSet<ObjectId>> CheckPackStructureAsync(ContentStore content, Dictionary<ObjectId, IReadOnlyList<BlobEntry>> indexed,
        Dictionary<ObjectId, BlobInfo> listed, CancellationToken cancellationToken)
    {
        var stored = listed.ToDictionary(p => p.Key, p => p.Value.Length);
        var bad = new HashSet<ObjectId>();
        var needHeader = new List<ObjectId>();
        foreach (var (packId, blobs) in indexed)
        {
            if (!stored.TryGetValue(packId, out var length))
            {
                bad.Add(packId);
                AddPackProblem(packId, $"it is missing, but the index lists {blobs.Count} blobs in it");
                foreach (var b in blobs) AddBadCopy(b.Id, b.Type, packId, "its pack is missing");
                continue;
            }
            if (!IsContiguous(blobs))
            {
                needHeader.Add(packId);
                continue;
            }
            long expected = PackFormat.ExpectedLength(blobs);
            if (expected == length) continue;
            bad.Add(packId);
            AddPackProblem(packId, length < expected
                ? $"it is {length} bytes, but the index implies {expected}: it was truncated"
                : $"it is {length} bytes, but the index implies {expected}: it has {length - expected} bytes too many");
            MarkBeyondEnd(packId, blobs, length);
        }
        // Structure never reads cold data: an archived pack's header is skipped and reported as not read (its size was
        // still checked where the index's entries allow it).
        var archived = await ColdData.FindArchivedAsync(repository.Blobs, needHeader.Select(p => listed[p]), cancellationToken).ConfigureAwait(false);
        foreach (var info in archived.Blobs) _coldHeaders.Add(ObjectId.Parse(info.Name.Name));
        needHeader.RemoveAll(_coldHeaders.Contains);
        var headerBad = new ConcurrentBag<ObjectId>();
        await Parallel.ForEachAsync(needHeader, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (packId, ct) =>
        {
            string? problem;
            try
            {
                var header = await content.ReadPackHeaderAsync(packId, stored[packId], ct).ConfigureAwait(false);
                problem = CompareHeader(header, indexed[packId], stored[packId]);
            }
            catch (BlobArchivedException)
            {
                lock (_gate) _coldHeaders.Add(packId);
                return;
            }
            catch (Exception e) when (ReferenceWalker.IsUnreadable(e))
            {
                problem = "header: " + ProblemOf(e);
            }
            if (problem is null) return;
            headerBad.Add(packId);
            AddPackProblem(packId, problem);
            MarkBeyondEnd(packId, indexed[packId], stored[packId]);
        }).ConfigureAwait(false);
        bad.UnionWith(headerBad);
        return bad;
    }

    /// <summary>Null when every index entry is in the pack's header and the header accounts for the pack's length.</summary>
    internal static string? CompareHeader(List<BlobEntry> header, IReadOnlyList<BlobEntry> index, long packLength)
    {
        long implied = PackFormat.ExpectedLength(header);
        if (implied != packLength) return $"its header implies {implied} bytes, but it is {packLength}";
        var inHeader = header.ToHashSet();
        int absent = index.Count(e => !inHeader.Contains(e));
        return absent == 0 ? null
            : $"{absent} of the {index.Count} blobs the index lists in it are not in its header as listed (run 'cairn repair index')";
    }

    private static bool IsContiguous(IReadOnlyList<BlobEntry> blobs)
    {
        long end = 0;
        foreach (var b in blobs.OrderBy(b => b.Offset))
        {
            if (b.Offset != end) return false;
            end += b.StoredLength;
        }
        return true;
    }

    private void MarkBeyondEnd(ObjectId packId, IReadOnlyList<BlobEntry> blobs, long length)
    {
        foreach (var b in blobs)
            if ((long)b.Offset + b.StoredLength > length) AddBadCopy(b.Id, b.Type, packId, $"it lies beyond the end of the pack ({length} bytes)");
    }

    private async Task<(List<Snapshot> Snapshots, List<DamagedFile> Damaged)> ReadSnapshotsAsync(CancellationToken cancellationToken)
    {
        var names = new List<BlobName>();
        await foreach (var info in repository.Blobs.ListAsync(BlobKind.Snapshot, cancellationToken).ConfigureAwait(false)) names.Add(info.Name);
        var snapshots = new ConcurrentBag<Snapshot>();
        var damaged = new ConcurrentBag<DamagedFile>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (name, ct) =>
        {
            if (!ObjectId.TryParse(name.Name, out var id))
            {
                damaged.Add(new DamagedFile(name.Name, "its name is not a 64-digit hex id"));
                return;
            }
            try
            {
                snapshots.Add(await repository.LoadSnapshotAsync(id, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (ReferenceWalker.IsUnreadable(e))
            {
                damaged.Add(new DamagedFile(name.Name, ProblemOf(e)));
            }
        }).ConfigureAwait(false);
        return ([.. snapshots.OrderBy(s => s.Time).ThenBy(s => s.Id)], [.. damaged]);
    }

    private void AddBadCopy(ObjectId blob, ObjectType type, ObjectId pack, string problem)
    {
        lock (_gate) _badCopies.TryAdd((blob, pack), new DamagedBlob(blob, type, pack.IsZero ? null : pack, problem, false));
    }

    private void AddPackProblem(ObjectId pack, string problem)
    {
        lock (_gate) _packProblems.Add(new DamagedPack(pack, problem));
    }

    // A damaged copy does not lose the blob when another pack that exists holds a copy not known to be damaged.
    private List<DamagedBlob> MarkIntactCopies(Dictionary<ObjectId, IReadOnlyList<BlobEntry>> indexed, Dictionary<ObjectId, long> stored)
    {
        var damagedIds = _badCopies.Keys.Select(k => k.Blob).ToHashSet();
        var intact = new HashSet<ObjectId>();
        if (damagedIds.Count > 0)
            foreach (var (packId, blobs) in indexed)
            {
                if (!stored.ContainsKey(packId)) continue;
                foreach (var b in blobs)
                    if (damagedIds.Contains(b.Id) && !_badCopies.ContainsKey((b.Id, packId))) intact.Add(b.Id);
            }
        return [.. _badCopies.Values.Select(b => intact.Contains(b.Id) ? b with { HasIntactCopy = true } : b)
            .OrderBy(b => b.Id).ThenBy(b => b.PackId ?? ObjectId.Zero)];
    }
}
