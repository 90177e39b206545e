using System.Runtime.CompilerServices;
using Cairn.Content;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Cli;

/// <summary>Walks a snapshot's trees: every entry with its absolute display path, depth first, in name order.</summary>
internal static class TreeWalker
{
    public static async IAsyncEnumerable<(string Path, Node Node)> WalkAsync(Repository repository, ObjectId tree, string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var loaded = await repository.LoadTreeAsync(tree, cancellationToken).ConfigureAwait(false);
        foreach (var node in loaded.Nodes)
        {
            var path = prefix.TrimEnd('/') + "/" + PathBytes.ToDisplay(node.Name);
            yield return (path, node);
            if (node.Kind != NodeKind.Directory) continue;
            await foreach (var child in WalkAsync(repository, node.Subtree, path, cancellationToken).ConfigureAwait(false))
                yield return child;
        }
    }

    /// <summary>Finds the entry at an absolute path in the snapshot; null for "/" itself. Raises NotFound if missing.</summary>
    public static async Task<Node?> FindAsync(Repository repository, Snapshot snapshot, string path, CancellationToken cancellationToken)
    {
        Node? node = null;
        var tree = snapshot.Tree;
        foreach (var name in PathBytes.Split(PathBytes.Normalize(PathBytes.FromDisplay("/" + path.TrimStart('/')))))
        {
            if (node is not null && node.Kind != NodeKind.Directory)
                throw new CairnException($"{path} does not exist in snapshot {snapshot.Id.ToShortString()}", ExitCode.NotFound);
            var loaded = await repository.LoadTreeAsync(tree, cancellationToken).ConfigureAwait(false);
            node = loaded.Find(name) ?? throw new CairnException($"{path} does not exist in snapshot {snapshot.Id.ToShortString()}", ExitCode.NotFound);
            tree = node.Subtree;
        }
        return node;
    }
}
