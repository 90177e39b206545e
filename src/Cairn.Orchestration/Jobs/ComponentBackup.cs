using System.Text;
using Cairn.Archiving.Backup;
using Cairn.Components;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Orchestration.Jobs;

/// <summary>
/// The <see cref="IComponentBackup"/> of one component in one job run: streams become files of the component's
/// directory, path lists become the archiver's trees below it, and <see cref="SaveAsync"/> stores the directory's tree.
/// </summary>
public sealed class ComponentBackup : IComponentBackup
{
    // Dumps can hold anything a database holds: only the owner may read them once restored as files.
    private const uint StreamFileMode = 0x180; // 0600

    private readonly Repository _repository;
    private readonly ObjectId? _previousDirectory;
    private readonly Action<string>? _info;
    private readonly DirectoryBuilder _directory = new();
    private readonly List<SnapshotWarning> _warnings = [];
    private readonly List<BackupProgress> _archived = [];
    private readonly CancellationToken _stop;
    private readonly CancellationToken _abort;

    /// <summary>
    /// Prepares the backup of component <paramref name="componentName"/>. <paramref name="previousDirectory"/> is the
    /// component's directory in the job's previous snapshot, whose file trees let unchanged files go unread.
    /// <paramref name="stop"/> is the run's checkpoint request and <paramref name="abort"/> its cancellation: the
    /// component itself gets a token for both, but repository writes here only observe <paramref name="abort"/>, so that
    /// after a stop what was stored can still be saved and flushed.
    /// </summary>
    public ComponentBackup(Repository repository, string componentName, ObjectId? previousDirectory, TimeProvider time, Action<string>? info,
        CancellationToken stop = default, CancellationToken abort = default)
    {
        _stop = stop;
        _abort = abort;
        _repository = repository;
        ComponentName = componentName;
        _previousDirectory = previousDirectory;
        Time = time;
        _info = info;
    }

    /// <inheritdoc/>
    public string ComponentName { get; }

    /// <inheritdoc/>
    public ComponentManifest Manifest { get; } = new();

    /// <inheritdoc/>
    public TimeProvider Time { get; }

    /// <summary>Bytes the component produced: stream lengths plus the sizes of backed-up files.</summary>
    public long Bytes => _streamBytes + _archived.Sum(p => p.TotalBytes);

    /// <summary>Warnings so far, with paths relative to the component's directory ("/etc/x" for files, "db.sql" for streams).</summary>
    public IReadOnlyList<SnapshotWarning> Warnings => _warnings;

    /// <summary>The file-tree counters of every <see cref="AddPathsAsync"/> call, for the snapshot's summary.</summary>
    public IReadOnlyList<BackupProgress> ArchivedTrees => _archived;

    private long _streamBytes;

    /// <inheritdoc/>
    public async Task<StoredStream> AddStreamAsync(string relativePath, Stream content, CancellationToken cancellationToken)
    {
        var parts = SplitPath(relativePath);
        var (chunks, size) = await StreamStorer.StoreAsync(_repository.Content, content, cancellationToken, _abort).ConfigureAwait(false);
        var now = NowNs();
        var node = new Node
        {
            Name = parts[^1],
            Kind = NodeKind.File,
            Mode = StreamFileMode,
            ModifyTimeNs = now,
            ChangeTimeNs = now,
            LinkCount = 1,
            Size = size,
            Content = chunks,
        };
        await _directory.AddAsync(_repository, parts[..^1], node, now, _abort).ConfigureAwait(false);
        _streamBytes += size;
        return new StoredStream(string.Join('/', parts.Select(p => Encoding.UTF8.GetString(p))), size);
    }

    /// <inheritdoc/>
    public async Task AddPathsAsync(IReadOnlyList<string> paths, IReadOnlyList<string> excludes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var archiver = new Archiver(_repository, new BackupOptions { Paths = paths, Excludes = excludes }, Time) { Stop = _stop };
        _archived.Add(archiver.Progress);
        var root = await archiver.BuildTreeAsync(_previousDirectory, _abort).ConfigureAwait(false);
        foreach (var warning in archiver.Warnings) Warn(warning.Path, warning.Message);
        foreach (var node in root.Nodes) await _directory.MergeAsync(_repository, node, _abort).ConfigureAwait(false);
        if (archiver.Stopped) Stopped = true;
    }

    /// <summary>True when a checkpoint request cut a file tree short: the directory lacks entries the source has.</summary>
    public bool Stopped { get; private set; }

    /// <inheritdoc/>
    public void Warn(string path, string message) => _warnings.Add(new SnapshotWarning(path, message));

    /// <inheritdoc/>
    public void Info(string message) => _info?.Invoke(message);

    /// <summary>Stores the component's directory tree (everything added so far) and returns its id.</summary>
    public Task<ObjectId> SaveAsync(CancellationToken cancellationToken) => _directory.SaveAsync(_repository, NowNs(), cancellationToken);


    private long NowNs() => (Time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static byte[][] SplitPath(string relativePath)
    {
        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p is "." or ".." || p.Contains('\0', StringComparison.Ordinal)))
            throw new ArgumentException($"'{relativePath}' is not a relative path inside the component's directory", nameof(relativePath));
        return [.. parts.Select(Encoding.UTF8.GetBytes)];
    }
}
