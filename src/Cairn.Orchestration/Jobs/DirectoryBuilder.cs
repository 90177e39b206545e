using Cairn.Components;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Orchestration.Jobs;

/// <summary>
/// A component's directory while its backup runs: stored files and already-stored subtrees by name, turned into tree
/// objects (children first) when the component is done. A stored subtree is opened only when something is added below it.
/// </summary>
internal sealed class DirectoryBuilder
{
    // Directories cairn creates itself (not copies of real ones) are private to the owner, as the stream files are.
    private const uint CreatedDirectoryMode = 0x1C0; // 0700

    private readonly SortedDictionary<byte[], object> _entries = new(Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b)));
    private readonly Node? _original;

    /// <summary>Creates an empty directory, or one that continues <paramref name="original"/>'s stored listing.</summary>
    public DirectoryBuilder(Node? original = null) => _original = original;

    /// <summary>Adds <paramref name="node"/> below the directories named by <paramref name="parents"/>, creating them as needed.</summary>
    public async Task AddAsync(Repository repository, IReadOnlyList<byte[]> parents, Node node, long nowNs, CancellationToken cancellationToken)
    {
        var dir = this;
        foreach (var name in parents)
            dir = await dir.SubdirectoryAsync(repository, name, nowNs, cancellationToken).ConfigureAwait(false);
        await dir.MergeAsync(repository, node, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds an entry here; a directory meeting a directory of the same name is merged with it (two path lists that share
    /// "/etc"), anything else meeting an existing name is a component error.
    /// </summary>
    public async Task MergeAsync(Repository repository, Node node, CancellationToken cancellationToken)
    {
        if (!_entries.TryGetValue(node.Name, out var existing))
        {
            _entries.Add(node.Name, node);
            return;
        }
        if (node.Kind != NodeKind.Directory || existing is Node { Kind: not NodeKind.Directory })
            throw new ComponentFailedException($"'{System.Text.Encoding.UTF8.GetString(node.Name)}' was stored twice in the component's directory");
        var target = await OpenAsync(repository, node.Name, existing, cancellationToken).ConfigureAwait(false);
        var tree = await LoadAsync(repository, node.Subtree, cancellationToken).ConfigureAwait(false);
        foreach (var child in tree.Nodes) await target.MergeAsync(repository, child, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores this directory's tree (and every changed one below it) and returns its id.</summary>
    public async Task<ObjectId> SaveAsync(Repository repository, long nowNs, CancellationToken cancellationToken)
    {
        var nodes = new List<Node>(_entries.Count);
        foreach (var (name, entry) in _entries)
        {
            if (entry is Node node)
            {
                nodes.Add(node);
                continue;
            }
            var builder = (DirectoryBuilder)entry;
            var dir = builder._original?.Copy() ?? new Node { Name = name, Kind = NodeKind.Directory, Mode = CreatedDirectoryMode, ModifyTimeNs = nowNs };
            dir.Subtree = await builder.SaveAsync(repository, nowNs, cancellationToken).ConfigureAwait(false);
            nodes.Add(dir);
        }
        var stored = await repository.SaveTreeAsync(new Tree(nodes), cancellationToken).ConfigureAwait(false);
        return stored.Id;
    }

    private async Task<DirectoryBuilder> SubdirectoryAsync(Repository repository, byte[] name, long nowNs, CancellationToken cancellationToken)
    {
        if (_entries.TryGetValue(name, out var existing))
        {
            if (existing is Node { Kind: not NodeKind.Directory })
                throw new ComponentFailedException($"'{System.Text.Encoding.UTF8.GetString(name)}' is a file in the component's directory, not a directory");
            return await OpenAsync(repository, name, existing, cancellationToken).ConfigureAwait(false);
        }
        var created = new DirectoryBuilder(new Node { Name = name, Kind = NodeKind.Directory, Mode = CreatedDirectoryMode, ModifyTimeNs = nowNs });
        _entries.Add(name, created);
        return created;
    }

    // A stored directory becomes editable: its listing is loaded, and its metadata kept for the new tree.
    private async Task<DirectoryBuilder> OpenAsync(Repository repository, byte[] name, object existing, CancellationToken cancellationToken)
    {
        if (existing is DirectoryBuilder builder) return builder;
        var node = (Node)existing;
        var opened = new DirectoryBuilder(node);
        var tree = await LoadAsync(repository, node.Subtree, cancellationToken).ConfigureAwait(false);
        foreach (var child in tree.Nodes) opened._entries.Add(child.Name, child);
        _entries[name] = opened;
        return opened;
    }

    // A tree stored earlier in this run may still sit in a pack being filled, which only the index makes readable.
    // Flushing writes that pack and an index file (the snapshot still comes last); it happens only when two additions
    // meet in one directory, such as two path lists below /etc or a stream put inside a backed-up tree.
    private static async Task<Tree> LoadAsync(Repository repository, ObjectId id, CancellationToken cancellationToken)
    {
        if (!repository.Content.Index.Contains(id)) await repository.Content.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await repository.LoadTreeAsync(id, cancellationToken).ConfigureAwait(false);
    }
}
