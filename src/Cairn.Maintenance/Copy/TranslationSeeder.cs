using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;
using Cairn.Storage;

namespace Cairn.Maintenance.Copy;

/// <summary>
/// Learns id translations from a source snapshot and its existing copy in an unrelated repository, by reading their
/// trees side by side: a copy has the same names and structure, so the n-th chunk of a file in one is the n-th chunk
/// of the same file in the other. Only tree reads; no chunk is read.
/// </summary>
internal static class TranslationSeeder
{
    private const int Parallelism = 8;

    /// <summary>
    /// Adds what the pair teaches to <paramref name="translation"/>, all or nothing: if anything does not line up (other
    /// names, sizes or chunk counts, a chunk of another length, a blob missing from the destination's index, a tree
    /// that cannot be read), nothing is added and the result is false. Returns the trees read as well.
    /// </summary>
    public static async Task<(bool Sound, long TreesRead)> SeedAsync(Repository source, Repository destination,
        ObjectId sourceRoot, ObjectId copyRoot, IdTranslation translation, CancellationToken cancellationToken)
    {
        var learned = new Dictionary<ObjectId, ObjectId>();
        var gate = new Lock();
        long treesRead = 0;
        bool sound = true;
        var level = new List<(ObjectId Source, ObjectId Copy)>();
        if (!translation.TryGet(sourceRoot, out _)) level.Add((sourceRoot, copyRoot));
        while (level.Count > 0 && sound)
        {
            var next = new List<(ObjectId, ObjectId)>();
            await Parallel.ForEachAsync(level, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (pair, ct) =>
                {
                    Tree sourceTree, copyTree;
                    try
                    {
                        var loads = await Task.WhenAll(source.LoadTreeAsync(pair.Source, ct), destination.LoadTreeAsync(pair.Copy, ct)).ConfigureAwait(false);
                        (sourceTree, copyTree) = (loads[0], loads[1]);
                    }
                    catch (Exception e) when (e is IntegrityException or BlobNotFoundException)
                    {
                        lock (gate) sound = false;
                        return;
                    }
                    Interlocked.Add(ref treesRead, 2);
                    lock (gate)
                    {
                        if (!sound) return;
                        sound = Learn(pair.Source, pair.Copy, learned)
                                && Match(sourceTree, copyTree, source.Content.Index, destination.Content.Index, translation, learned, next);
                    }
                }).ConfigureAwait(false);
            level = next;
        }
        if (sound) translation.AddRange(learned);
        return (sound, treesRead);
    }

    private static bool Match(Tree source, Tree copy, Cairn.Content.Index.RepositoryIndex sourceIndex, Cairn.Content.Index.RepositoryIndex copyIndex,
        IdTranslation translation, Dictionary<ObjectId, ObjectId> learned, List<(ObjectId, ObjectId)> next)
    {
        if (source.Nodes.Count != copy.Nodes.Count) return false;
        for (int i = 0; i < source.Nodes.Count; i++)
        {
            Node s = source.Nodes[i], c = copy.Nodes[i];
            if (!SameEntry(s, c)) return false;
            if (s.Kind == NodeKind.Directory)
            {
                if (translation.TryGet(s.Subtree, out _) || learned.ContainsKey(s.Subtree)) continue;
                // Claimed now, so a subtree that appears twice in this level is read once.
                learned[s.Subtree] = c.Subtree;
                next.Add((s.Subtree, c.Subtree));
                continue;
            }
            var sourceChunks = s.Content ?? [];
            var copyChunks = c.Content ?? [];
            if (sourceChunks.Count != copyChunks.Count || (s.Extents?.Count ?? -1) != (c.Extents?.Count ?? -1)) return false;
            for (int j = 0; j < sourceChunks.Count; j++)
            {
                // Equal plaintext lengths (from the indexes, no read) and presence in the destination make a wrong
                // pairing all but impossible, and a copy naming a missing chunk would be worse than reading it again.
                if (!sourceIndex.TryGet(sourceChunks[j], out var sl) || !copyIndex.TryGet(copyChunks[j], out var cl)
                    || sl.Entry.RawLength != cl.Entry.RawLength || !Learn(sourceChunks[j], copyChunks[j], learned))
                    return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Copy keeps every field of a node but its blob ids, so a true copy matches on all of them; comparing them all
    /// (not just name and size) makes a wrong pairing, e.g. a copied_from that names the wrong snapshot, fail early.
    /// </summary>
    private static bool SameEntry(Node s, Node c) =>
        s.Kind == c.Kind && s.Size == c.Size && s.Flags == c.Flags && s.Mode == c.Mode && s.Uid == c.Uid && s.Gid == c.Gid
        && s.ModifyTimeNs == c.ModifyTimeNs && s.ChangeTimeNs == c.ChangeTimeNs && s.Inode == c.Inode && s.Device == c.Device
        && s.Name.AsSpan().SequenceEqual(c.Name);

    private static bool Learn(in ObjectId source, in ObjectId copy, Dictionary<ObjectId, ObjectId> learned) =>
        learned.TryAdd(source, copy) || learned[source] == copy;
}
