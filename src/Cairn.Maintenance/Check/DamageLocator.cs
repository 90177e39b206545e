using Cairn.Content;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Maintenance.Check;

/// <summary>
/// Finds the files and directories of snapshots that use lost blobs, with their paths. Run only when something is lost:
/// it reads every tree a second time (once per distinct tree, shared subtrees included).
/// </summary>
internal sealed class DamageLocator(Repository repository, IReadOnlySet<ObjectId> lost) : TreeFold<IReadOnlyList<DamageLocator.Hit>>(repository)
{
    /// <summary>A damaged entry below some tree; <see cref="Path"/> is relative to that tree ("" = the tree itself).</summary>
    internal sealed record Hit(string Path, bool IsDirectory, IReadOnlyList<ObjectId> Blobs);

    /// <summary>The damaged entries of each snapshot, by path.</summary>
    public async Task<List<AffectedEntry>> LocateAsync(IEnumerable<Snapshot> snapshots, CancellationToken cancellationToken)
    {
        var result = new List<AffectedEntry>();
        foreach (var snapshot in snapshots)
        {
            var hits = await FoldAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
            foreach (var hit in hits)
                result.Add(new AffectedEntry(snapshot.Id, hit.Path.Length == 0 ? "/" : hit.Path, hit.IsDirectory, hit.Blobs));
        }
        return result;
    }

    protected override IReadOnlyList<Hit> Unreadable(ObjectId treeId, Exception error) => [new Hit("", true, [treeId])];

    protected override Task<IReadOnlyList<Hit>> FoldTreeAsync(ObjectId treeId, Tree tree, IReadOnlyDictionary<ObjectId, IReadOnlyList<Hit>> subtrees,
        CancellationToken cancellationToken)
    {
        List<Hit>? hits = null;
        foreach (var node in tree.Nodes)
        {
            if (node.Kind == NodeKind.Directory)
            {
                var below = subtrees[node.Subtree];
                if (below.Count == 0) continue;
                var prefix = "/" + PathBytes.ToDisplay(node.Name);
                foreach (var hit in below) (hits ??= []).Add(hit with { Path = prefix + hit.Path });
            }
            else if (node.Content is { } chunks)
            {
                List<ObjectId>? blobs = null;
                foreach (var chunk in chunks)
                    if (lost.Contains(chunk) && !(blobs ??= []).Contains(chunk)) blobs.Add(chunk);
                if (blobs is not null) (hits ??= []).Add(new Hit("/" + PathBytes.ToDisplay(node.Name), false, blobs));
            }
        }
        return Task.FromResult<IReadOnlyList<Hit>>(hits is null ? [] : hits);
    }
}
