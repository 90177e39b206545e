using System.Text;
using Cairn.Archiving.Restore;
using Cairn.Components;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Orchestration.Jobs;

/// <summary>
/// The <see cref="IComponentRestore"/> over one component's directory in a job snapshot: what backup recorded, its
/// files listed and streamed back from the repository, and its file trees restored as <c>cairn restore</c> does.
/// </summary>
public sealed class ComponentRestore : IComponentRestore
{
    private readonly Repository _repository;
    private readonly Snapshot _snapshot;
    private readonly Dictionary<string, Node> _nodes;
    private readonly Action<string>? _info;

    private ComponentRestore(Repository repository, Snapshot snapshot, SnapshotComponent recorded, ObjectId directory,
        Dictionary<string, Node> nodes, Action<string>? info)
    {
        _repository = repository;
        _snapshot = snapshot;
        Recorded = recorded;
        DirectoryTree = directory;
        _nodes = nodes;
        _info = info;
        Files = [.. nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => new StoredStream(n.Key, n.Value.Size))];
    }

    /// <summary>
    /// Opens component <paramref name="componentName"/> of <paramref name="snapshot"/>. A snapshot without that
    /// component (or a plain <c>cairn backup</c> snapshot) is <see cref="ExitCode.NotFound"/>, naming the ones it has.
    /// </summary>
    public static async Task<ComponentRestore> OpenAsync(Repository repository, Snapshot snapshot, string componentName, Action<string>? info,
        CancellationToken cancellationToken)
    {
        var recorded = snapshot.Components.FirstOrDefault(c => c.Name == componentName && c.Path is not null);
        if (recorded is null)
        {
            var names = snapshot.Components.Where(c => c.Path is not null).Select(c => c.Name).ToList();
            throw new CairnException($"snapshot {snapshot.Id.ToShortString()} has no component '{componentName}'"
                + (names.Count == 0 ? ": it was not made by a job" : ": it has " + string.Join(", ", names)), ExitCode.NotFound);
        }
        var root = await repository.LoadTreeAsync(snapshot.Tree, cancellationToken).ConfigureAwait(false);
        var dir = root.Find(Encoding.UTF8.GetBytes(recorded.Path!));
        if (dir is not { Kind: NodeKind.Directory })
            throw new IntegrityException($"snapshot {snapshot.Id.ToShortString()}", $"its manifest names component directory '{recorded.Path}', which its tree lacks");
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        await CollectFilesAsync(repository, dir.Subtree, "", nodes, cancellationToken).ConfigureAwait(false);
        return new ComponentRestore(repository, snapshot, recorded, dir.Subtree, nodes, info);
    }

    /// <inheritdoc/>
    public string ComponentName => Recorded.Name;

    /// <inheritdoc/>
    public SnapshotComponent Recorded { get; }

    /// <inheritdoc/>
    public IReadOnlyList<StoredStream> Files { get; }

    /// <summary>The tree of the component's directory (for writing it out as raw files).</summary>
    public ObjectId DirectoryTree { get; }

    /// <inheritdoc/>
    public Stream Open(string relativePath)
    {
        var key = string.Join('/', relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        if (!_nodes.TryGetValue(key, out var node))
            throw new CairnException($"component '{ComponentName}' has no stored file '{relativePath}'", ExitCode.NotFound);
        return new StoredFileStream(_repository.Content, node, $"file {key} of component '{ComponentName}'");
    }

    /// <inheritdoc/>
    public async Task RestorePathsAsync(string? targetDirectory, IReadOnlyList<string> includes, CancellationToken cancellationToken)
    {
        var result = await RestoreDirectoryAsync(targetDirectory ?? "/", includes, cancellationToken).ConfigureAwait(false);
        if (result.Errors.Count > 0)
            throw new ComponentFailedException($"{result.Errors.Count} entries of component '{ComponentName}' could not be restored; the first: {result.Errors[0].Path}: {result.Errors[0].Message}");
        Info($"restored {result.Files} files, {result.Directories} directories ({result.Bytes} bytes)");
    }

    /// <summary>
    /// Restores the component's whole directory (streams and file trees as stored, with their metadata) below
    /// <paramref name="targetDirectory"/>; what <c>cairn restore --to-file</c> writes.
    /// </summary>
    public Task<RestoreResult> RestoreDirectoryAsync(string targetDirectory, IReadOnlyList<string> includes, CancellationToken cancellationToken) =>
        new Restorer(_repository, _snapshot with { Tree = DirectoryTree }, new RestoreOptions { Target = targetDirectory, Includes = includes })
            .RunAsync(cancellationToken);

    /// <inheritdoc/>
    public void Info(string message) => _info?.Invoke(message);

    private static async Task CollectFilesAsync(Repository repository, ObjectId treeId, string prefix, Dictionary<string, Node> nodes, CancellationToken cancellationToken)
    {
        var tree = await repository.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
        foreach (var node in tree.Nodes)
        {
            var path = prefix + Encoding.UTF8.GetString(node.Name);
            if (node.Kind == NodeKind.File) nodes[path] = node;
            else if (node.Kind == NodeKind.Directory) await CollectFilesAsync(repository, node.Subtree, path + "/", nodes, cancellationToken).ConfigureAwait(false);
        }
    }
}
