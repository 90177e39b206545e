using System.Collections.Concurrent;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Maintenance;

/// <summary>The blobs that a set of snapshots reference, split by type.</summary>
/// <remarks>
/// Memory is per distinct blob, never per byte: a <see cref="HashSet{T}"/> entry of a 32-byte id costs about
/// 48 bytes (id, cached hash, next link, bucket), so 1 million chunks (~1 TB of data at 1 MiB average) need ~48 MB.
/// </remarks>
public sealed class BlobReferences
{
    /// <summary>Every tree reachable from the snapshots' roots.</summary>
    public HashSet<ObjectId> Trees { get; } = [];

    /// <summary>Every data chunk that some file of those trees lists.</summary>
    public HashSet<ObjectId> Data { get; } = [];

    /// <summary>True if the blob (tree or data) is referenced.</summary>
    public bool Contains(in ObjectId id) => Trees.Contains(id) || Data.Contains(id);
}

/// <summary>A tree that could not be loaded while walking, and why.</summary>
public sealed record UnreadableTree(ObjectId TreeId, string Path, Exception Error);

/// <summary>
/// Walks the trees of snapshots and collects every blob they reference. Trees shared between snapshots (and between
/// directories of one snapshot) are loaded once. Used by check, prune and copy.
/// </summary>
public static class ReferenceWalker
{
    /// <summary>How many trees load at once: tree loads are small reads plus decryption, so a few overlap well.</summary>
    private const int Parallelism = 8;

    /// <summary>
    /// Collects the references of <paramref name="snapshots"/>. A tree that cannot be loaded (missing or damaged, or in
    /// an archived pack: a <see cref="Cairn.Storage.BlobArchivedException"/>, which is not damage) is reported through
    /// <paramref name="onUnreadableTree"/> and its subtree is skipped; with no callback the error propagates, which is
    /// what prune wants (it must never act on an incomplete picture).
    /// </summary>
    public static async Task<BlobReferences> CollectAsync(Repository repository, IEnumerable<Snapshot> snapshots,
        Action<UnreadableTree>? onUnreadableTree, CancellationToken cancellationToken)
    {
        var result = new BlobReferences();
        // Breadth-first, one level at a time: each level's trees load in parallel, and only the sets are shared.
        var level = new List<(ObjectId Id, string Path)>();
        foreach (var snapshot in snapshots)
            if (result.Trees.Add(snapshot.Tree)) level.Add((snapshot.Tree, "/"));
        var gate = new Lock();
        while (level.Count > 0)
        {
            var next = new ConcurrentBag<(ObjectId, string)>();
            await Parallel.ForEachAsync(level, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (item, ct) =>
                {
                    Tree tree;
                    try
                    {
                        tree = await repository.LoadTreeAsync(item.Id, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (onUnreadableTree is not null && (IsUnreadable(e) || e is Cairn.Storage.BlobArchivedException))
                    {
                        lock (gate) onUnreadableTree(new UnreadableTree(item.Id, item.Path, e));
                        return;
                    }
                    lock (gate)
                    {
                        foreach (var node in tree.Nodes)
                        {
                            if (node.Kind == NodeKind.Directory)
                            {
                                if (result.Trees.Add(node.Subtree)) next.Add((node.Subtree, JoinPath(item.Path, node.Name)));
                            }
                            else if (node.Content is { } chunks)
                            {
                                foreach (var chunk in chunks) result.Data.Add(chunk);
                            }
                        }
                    }
                }).ConfigureAwait(false);
            level = [.. next];
        }
        return result;
    }

    /// <summary>
    /// True for the errors that mean a stored object cannot be had (missing, damaged, or in a pack too short or
    /// unreadable for good), as opposed to transient failures and cancellation, which must stop the caller. An archived
    /// blob is not among them: it is intact and readable once thawed, so reporting it as damage (and repairing around
    /// it) would be wrong; that error stops the caller with exit code 20 unless it handles cold data itself.
    /// </summary>
    public static bool IsUnreadable(Exception error) =>
        error is IntegrityException
            or Cairn.Storage.StorageException { IsTransient: false } and not (Cairn.Storage.StorageFullException or Cairn.Storage.BlobArchivedException);

    /// <summary>A display path for messages: names that are not UTF-8 show with replacement characters.</summary>
    public static string JoinPath(string parent, byte[] name) =>
        (parent.EndsWith('/') ? parent : parent + "/") + System.Text.Encoding.UTF8.GetString(name);
}
