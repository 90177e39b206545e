using Cairn.Content;
using Cairn.Maintenance.Check;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;
using Cairn.Storage;

namespace Cairn.Maintenance.Repair;

/// <summary>How <see cref="SnapshotRepairer"/> runs.</summary>
public sealed record SnapshotRepairOptions
{
    /// <summary>Work out and report the changes, but write and delete nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Delete each original snapshot once its repaired replacement is written.</summary>
    public bool Forget { get; init; }
}

/// <summary>An entry of a snapshot that lost data, and what repair did about it.</summary>
public sealed record LostEntry(string Path, string Message);

/// <summary>The outcome for one damaged snapshot.</summary>
/// <param name="Original">The damaged snapshot.</param>
/// <param name="Repaired">Its replacement (with a zero id in a dry run); null when it could not be repaired.</param>
/// <param name="Lost">The entries that lost data, by path.</param>
/// <param name="Unrepairable">Why there is no replacement (its root tree is lost), or null.</param>
/// <param name="OriginalRemoved">True when --forget deleted the original.</param>
/// <param name="EarlierRepair">True when <paramref name="Repaired"/> was written by an earlier run (nothing new was written).</param>
public sealed record SnapshotRepair(Snapshot Original, Snapshot? Repaired, IReadOnlyList<LostEntry> Lost, string? Unrepairable, bool OriginalRemoved,
    bool EarlierRepair = false);

/// <summary>
/// <c>repair snapshots</c>: rewrites snapshots whose trees use lost blobs (see <see cref="CheckReport.LostBlobs"/>) into
/// new snapshots that restore everything that survives. Files that lost chunks are rewritten by <see cref="FileSalvage"/>;
/// a directory whose tree is lost becomes an empty directory; every such entry gets <see cref="NodeFlags.DataLost"/>. The
/// new snapshot keeps the original's time, host, paths and other fields, adds the tag "repaired", has status partial with
/// one warning per lost entry, and records the original's id in "original". New trees are written (packs, then index)
/// before the snapshots that name them; originals are deleted only after that, and only with
/// <see cref="SnapshotRepairOptions.Forget"/>. A snapshot whose root tree is lost cannot be repaired and is left alone.
/// </summary>
public sealed class SnapshotRepairer
{
    /// <summary>The tag every repaired snapshot carries.</summary>
    public const string RepairedTag = "repaired";

    private readonly Repository _repository;
    private readonly SnapshotRepairOptions _options;
    private readonly Rewriter _rewriter;

    /// <summary>
    /// Prepares a repair of the blobs in <paramref name="lost"/>. Their lengths are taken from the in-memory index (filled by
    /// <see cref="Checker"/>), and they are then dropped from it, so that a tree that happens to equal a lost one (an empty
    /// directory, say) is stored afresh rather than "deduplicated" onto the lost copy.
    /// </summary>
    public SnapshotRepairer(Repository repository, IReadOnlySet<ObjectId> lost, SnapshotRepairOptions options)
    {
        _repository = repository;
        _options = options;
        var index = repository.Content.Index;
        var lengths = new Dictionary<ObjectId, long>();
        foreach (var id in lost)
        {
            if (index.TryGet(id, out var location)) lengths[id] = location.Entry.RawLength;
            index.Remove(id);
        }
        _rewriter = new Rewriter(repository, lost, id =>
            lengths.TryGetValue(id, out var length) ? length : index.TryGet(id, out var location) ? location.Entry.RawLength : null,
            options.DryRun);
    }

    /// <summary>
    /// Repairs those of <paramref name="snapshots"/> that lost data; the others are left out of the result. A damaged
    /// snapshot that already has a replacement among <paramref name="existing"/> (one whose "original" names it, from an
    /// earlier run without --forget) is not rewritten again; with --forget it is now deleted.
    /// </summary>
    public async Task<List<SnapshotRepair>> RunAsync(IEnumerable<Snapshot> snapshots, IEnumerable<Snapshot> existing, CancellationToken cancellationToken)
    {
        var earlier = new Dictionary<ObjectId, Snapshot>();
        foreach (var s in existing)
            if (s.Original is { } original) earlier.TryAdd(original, s);
        var results = new List<SnapshotRepair>();
        foreach (var snapshot in snapshots)
        {
            var root = await _rewriter.FoldAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
            if (root.Unreadable is { } problem)
            {
                results.Add(new SnapshotRepair(snapshot, null, [], $"its root tree {snapshot.Tree.ToShortString()} is lost ({problem}): nothing of it can be restored", false));
                continue;
            }
            if (!root.Changed) continue;
            if (earlier.TryGetValue(snapshot.Id, out var replacement))
            {
                results.Add(new SnapshotRepair(snapshot, replacement, [], null, false, EarlierRepair: true));
                continue;
            }
            var lost = root.Lost.Select(l => l with { Path = l.Path.Length == 0 ? "/" : l.Path }).OrderBy(l => l.Path, StringComparer.Ordinal).ToList();
            var repaired = snapshot with
            {
                Tree = root.TreeId,
                Status = snapshot.Status is SnapshotStatus.Failed or SnapshotStatus.Incomplete ? snapshot.Status : SnapshotStatus.Partial,
                Warnings = [.. snapshot.Warnings, .. lost.Select(l => new SnapshotWarning(l.Path, "data lost (repair snapshots): " + l.Message))],
                Tags = snapshot.Tags.Contains(RepairedTag) ? snapshot.Tags : [.. snapshot.Tags, RepairedTag],
                Original = snapshot.Id,
                ProgramVersion = "cairn " + ProgramInfo.Version,
                Id = default,
            };
            results.Add(new SnapshotRepair(snapshot, repaired, lost, null, false));
        }
        if (_options.DryRun || !results.Exists(r => r.Repaired is not null)) return results;

        // Packs and index first, then the snapshots that name them, then (optionally) the originals go.
        await _repository.Content.FlushAsync(cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < results.Count; i++)
        {
            if (results[i].Repaired is not { } repaired || results[i].EarlierRepair) continue;
            results[i] = results[i] with { Repaired = await _repository.SaveSnapshotAsync(repaired, cancellationToken).ConfigureAwait(false) };
        }
        if (!_options.Forget) return results;
        for (int i = 0; i < results.Count; i++)
        {
            if (results[i].Repaired is null) continue;
            await _repository.DeleteSnapshotAsync(results[i].Original.Id, cancellationToken).ConfigureAwait(false);
            results[i] = results[i] with { OriginalRemoved = true };
        }
        return results;
    }

    /// <summary>A tree after rewriting: its (new) id and lost entries below it, or why it could not be loaded.</summary>
    private sealed record Rewritten(ObjectId TreeId, bool Changed, IReadOnlyList<LostEntry> Lost, string? Unreadable);

    private sealed class Rewriter(Repository repository, IReadOnlySet<ObjectId> lost, Func<ObjectId, long?> rawLength, bool dryRun)
        : TreeFold<Rewritten>(repository)
    {
        private readonly Lazy<Task<ObjectId>> _emptyTree = new(() => StoreAsync(repository, new Tree([]), dryRun, CancellationToken.None));

        protected override Rewritten Unreadable(ObjectId treeId, Exception error) => new(treeId, true, [], Checker.ProblemOf(error));

        protected override async Task<Rewritten> FoldTreeAsync(ObjectId treeId, Tree tree, IReadOnlyDictionary<ObjectId, Rewritten> subtrees,
            CancellationToken cancellationToken)
        {
            var nodes = new List<Node>(tree.Nodes.Count);
            var lostHere = new List<LostEntry>();
            foreach (var node in tree.Nodes)
            {
                var path = "/" + PathBytes.ToDisplay(node.Name);
                if (node.Kind == NodeKind.Directory && subtrees[node.Subtree] is { Changed: true } sub)
                {
                    var copy = node.Copy();
                    if (sub.Unreadable is { } problem)
                    {
                        copy.Subtree = await _emptyTree.Value.ConfigureAwait(false);
                        copy.Flags |= NodeFlags.DataLost;
                        lostHere.Add(new LostEntry(path, $"the directory's listing (tree {node.Subtree.ToShortString()}) is lost ({problem}); it restores empty"));
                    }
                    else
                    {
                        copy.Subtree = sub.TreeId;
                        lostHere.AddRange(sub.Lost.Select(l => l with { Path = path + l.Path }));
                    }
                    nodes.Add(copy);
                }
                else if (node.Kind == NodeKind.File && FileSalvage.Salvage(node, lost, rawLength) is { } salvaged)
                {
                    nodes.Add(salvaged.Node);
                    lostHere.Add(new LostEntry(path, salvaged.Message));
                }
                else
                {
                    nodes.Add(node);
                }
            }
            if (lostHere.Count == 0) return new Rewritten(treeId, false, [], null);
            var id = await StoreAsync(Repository, new Tree(nodes), dryRun, cancellationToken).ConfigureAwait(false);
            return new Rewritten(id, true, lostHere, null);
        }

        private static async Task<ObjectId> StoreAsync(Repository repository, Tree tree, bool dryRun, CancellationToken cancellationToken) =>
            dryRun
                ? repository.Content.Hasher.Compute(TreeCodec.Encode(tree))
                : (await repository.SaveTreeAsync(tree, cancellationToken).ConfigureAwait(false)).Id;
    }
}
