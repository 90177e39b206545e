using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Maintenance;

/// <summary>
/// A bottom-up computation over snapshot trees in which each distinct tree is loaded and folded once, however many
/// snapshots and directories share it, and a tree that cannot be loaded is folded as such instead of failing the walk.
/// Check uses it to find the files that damaged blobs belong to, repair to rewrite damaged trees.
/// </summary>
/// <remarks>
/// Results are kept per tree for the whole run (about 150 bytes per distinct tree, plus the results themselves),
/// which is what makes shared subtrees cheap; trees are far fewer than chunks.
/// </remarks>
internal abstract class TreeFold<T>(Repository repository)
{
    // Tree loads are small reads plus decryption; a few in flight keep a remote store busy without flooding it.
    private readonly SemaphoreSlim _loads = new(8, 8);
    private readonly ConcurrentDictionary<ObjectId, Lazy<Task<T>>> _results = new();

    protected Repository Repository { get; } = repository;

    /// <summary>The folded value of a tree (computed once; later calls share the task).</summary>
    public Task<T> FoldAsync(ObjectId treeId, CancellationToken cancellationToken) =>
        _results.GetOrAdd(treeId, id => new Lazy<Task<T>>(() => LoadAndFoldAsync(id, cancellationToken))).Value;

    private async Task<T> LoadAndFoldAsync(ObjectId treeId, CancellationToken cancellationToken)
    {
        Tree tree;
        await _loads.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            tree = await Repository.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ReferenceWalker.IsUnreadable(e))
        {
            return Unreadable(treeId, e);
        }
        finally
        {
            _loads.Release();
        }
        // Subtrees start together so their loads overlap; each awaits its own children without holding a load slot.
        var subtrees = new Dictionary<ObjectId, Task<T>>();
        foreach (var node in tree.Nodes)
            if (node.Kind == NodeKind.Directory && !subtrees.ContainsKey(node.Subtree))
                subtrees[node.Subtree] = FoldAsync(node.Subtree, cancellationToken);
        var values = new Dictionary<ObjectId, T>(subtrees.Count);
        foreach (var (id, task) in subtrees) values[id] = await task.ConfigureAwait(false);
        return await FoldTreeAsync(treeId, tree, values, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The value of a tree that is missing or damaged.</summary>
    protected abstract T Unreadable(ObjectId treeId, Exception error);

    /// <summary>The value of a loaded tree, given the values of its subtrees by subtree id.</summary>
    protected abstract Task<T> FoldTreeAsync(ObjectId treeId, Tree tree, IReadOnlyDictionary<ObjectId, T> subtrees, CancellationToken cancellationToken);
}
