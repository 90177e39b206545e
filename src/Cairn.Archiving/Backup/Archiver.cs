using System.Collections.Concurrent;
using System.Threading.Channels;
using Cairn.Content;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;
using Cairn.Storage;

namespace Cairn.Archiving.Backup;

/// <summary>
/// Layer 4: backs up file trees into a snapshot. A single walker lists directories in order and queues files for a
/// bounded pool of workers (read → chunk → hash → dedup → compress → encrypt → pack); each directory's tree is stored
/// once all its entries are done. Files unchanged since the parent snapshot (size, mtime, ctime, inode) are not read.
/// </summary>
public sealed class Archiver
{
    private readonly Repository _repository;
    private readonly BackupOptions _options;
    private readonly TimeProvider _time;
    private readonly PathMatcher _excludes;
    private readonly ConcurrentBag<SnapshotWarning> _warnings = [];
    private readonly ConcurrentDictionary<(ulong Device, ulong Inode), Task<FileContent?>> _hardlinks = new();
    private Channel<FileJob>? _queue;
    private Exception? _workerFailure;
    private volatile bool _stopped;

    /// <summary>Prepares a backup; nothing is read until <see cref="RunAsync"/>.</summary>
    public Archiver(Repository repository, BackupOptions options, TimeProvider time)
    {
        _repository = repository;
        _options = options;
        _time = time;
        _excludes = new PathMatcher(options.Excludes);
    }

    /// <summary>Live counters for progress displays.</summary>
    public BackupProgress Progress { get; } = new();

    /// <summary>
    /// A checkpoint request (max_duration reached, shutdown): once cancelled, <see cref="BuildTreeAsync"/> reads nothing
    /// more. Files not finished by then are left out and directories keep the entries done so far, so the tree it returns
    /// is consistent and names only stored data, but incomplete (<see cref="Stopped"/>). Unlike the cancellation token,
    /// which abandons everything, this never interrupts a store call, so the content store can still be flushed.
    /// </summary>
    public CancellationToken Stop { get; init; }

    /// <summary>True when <see cref="Stop"/> cut the walk or a file short: the tree lacks entries the source has.</summary>
    public bool Stopped => _stopped;

    private sealed record FileJob(DirectoryHandle Directory, byte[] Name, string DisplayPath, FileStatus Status, TaskCompletionSource<FileContent?> Result);

    /// <summary>Runs the backup and writes the snapshot (unless this is a dry run).</summary>
    public async Task<BackupResult> RunAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetUtcNow();
        _repository.Content.DiscardWrites = _options.DryRun;
        var paths = NormalizePaths(_options.Paths);
        var parent = await FindParentAsync(paths, cancellationToken).ConfigureAwait(false);
        Tree? parentRoot = parent is null ? null : await LoadParentTreeAsync(parent.Tree, cancellationToken).ConfigureAwait(false);
        var rootTree = (await _repository.SaveTreeAsync(await ArchiveAsync(paths, parentRoot, cancellationToken).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false)).Id;
        // Write order: packs and the index first; the snapshot last, so it never names data that is not stored.
        await _repository.Content.FlushAsync(cancellationToken).ConfigureAwait(false);

        var finished = _time.GetUtcNow();
        var warnings = Warnings;
        var status = warnings.Count == 0 ? SnapshotStatus.Complete : SnapshotStatus.Partial;
        var snapshot = new Snapshot
        {
            Time = _options.Time ?? started,
            Tree = rootTree,
            Paths = paths.Select(p => PathBytes.ToDisplay(p)).ToList(),
            Hostname = _options.Hostname,
            Username = Environment.UserName,
            Tags = _options.Tags,
            Parent = parent?.Id,
            Excludes = _options.Excludes,
            Status = status,
            Warnings = warnings,
            Components = [new SnapshotComponent { Type = "files", Name = "files", Status = status, Tool = "cairn " + ProgramInfo.Version, Format = "tree" }],
            ProgramVersion = "cairn " + ProgramInfo.Version,
            Summary = new SnapshotSummary
            {
                FilesNew = Progress.FilesNew,
                FilesChanged = Progress.FilesChanged,
                FilesUnchanged = Progress.FilesUnchanged,
                DirsNew = Progress.DirsNew,
                DirsChanged = Progress.DirsChanged,
                DirsUnchanged = Progress.DirsUnchanged,
                TotalEntries = Progress.Entries,
                TotalBytes = Progress.TotalBytes,
                BytesRead = Progress.BytesRead,
                BlobsAdded = _repository.Content.BlobsAdded,
                BytesAdded = _repository.Content.RawBytesAdded,
                BytesAddedStored = _repository.Content.StoredBytesAdded,
                Started = started,
                Finished = finished,
                DurationSeconds = (finished - started).TotalSeconds,
            },
        };
        if (!_options.DryRun)
        {
            CrashPoints.Reached(CrashPoints.BeforeSnapshot);
            snapshot = await _repository.SaveSnapshotAsync(snapshot, cancellationToken).ConfigureAwait(false);
            CrashPoints.Reached(CrashPoints.AfterSnapshot);
        }
        return new BackupResult(snapshot, _options.DryRun);
    }

    /// <summary>
    /// Stores the options' paths below a root that mirrors their absolute paths (as a snapshot's root does) and returns
    /// that root listing, itself not stored, without flushing the content store or writing a snapshot: jobs put its
    /// entries into a component's directory.
    /// <paramref name="parentTree"/> is the same kind of tree from an earlier run, for the file cache (ignored with
    /// Force; the options' Parent and DryRun are not used). Call once per instance; warnings are in <see cref="Warnings"/>.
    /// </summary>
    public async Task<Tree> BuildTreeAsync(ObjectId? parentTree, CancellationToken cancellationToken)
    {
        var paths = NormalizePaths(_options.Paths);
        Tree? parentRoot = parentTree is { } id && !_options.Force ? await LoadParentTreeAsync(id, cancellationToken).ConfigureAwait(false) : null;
        return await ArchiveAsync(paths, parentRoot, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Files and directories skipped or stored inexactly so far, by path.</summary>
    public IReadOnlyList<SnapshotWarning> Warnings => _warnings.OrderBy(w => w.Path, StringComparer.Ordinal).ToList();

    // The walk and the workers: every file and tree below the paths is stored (or queued in a pack) when this returns.
    private async Task<Tree> ArchiveAsync(List<byte[]> paths, Tree? parentRoot, CancellationToken cancellationToken)
    {
        _queue = Channel.CreateBounded<FileJob>(new BoundedChannelOptions(_options.Workers * 16));
        using var workersCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, Math.Max(1, _options.Workers))
            .Select(_ => Task.Run(() => WorkAsync(_queue.Reader, workersCancel.Token), CancellationToken.None)).ToArray();

        Tree rootTree;
        try
        {
            rootTree = await ArchiveRootAsync(PathTrie.Build(paths), parentRoot, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _queue.Writer.TryComplete();
            await workersCancel.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(workers).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            // The walker sees a failed worker as a closed queue; the worker's own error is the one to report.
            if (_workerFailure is { } failure) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            throw;
        }
        _queue.Writer.TryComplete();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return rootTree;
    }

    private static List<byte[]> NormalizePaths(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) throw new CairnException("nothing to back up: name at least one path", ExitCode.Usage);
        var result = new List<byte[]>();
        foreach (var p in paths)
        {
            var abs = PathBytes.Normalize(PathBytes.Absolute(PathBytes.FromString(p)));
            if (!result.Exists(r => r.AsSpan().SequenceEqual(abs))) result.Add(abs);
        }
        result.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        return result;
    }

    private async Task<Snapshot?> FindParentAsync(List<byte[]> paths, CancellationToken cancellationToken)
    {
        if (_options.Force) return null;
        if (_options.Parent is { } parentId) return await _repository.LoadSnapshotAsync(parentId, cancellationToken).ConfigureAwait(false);
        var display = paths.Select(p => PathBytes.ToDisplay(p)).ToList();
        var candidates = await _repository.ListSnapshotsAsync(new SnapshotFilter { Hosts = [_options.Hostname] }, cancellationToken).ConfigureAwait(false);
        return candidates.LastOrDefault(s => s.Paths.Count == display.Count && s.Paths.SequenceEqual(display, StringComparer.Ordinal));
    }

    // The snapshot's root mirrors the absolute paths: "/srv/data" becomes srv → data, with srv's own metadata.
    private async Task<Tree> ArchiveRootAsync(PathTrie root, Tree? parentRoot, CancellationToken cancellationToken)
    {
        using var rootDir = DirectoryHandle.Open("/"u8);
        return await ArchiveTrieLevelAsync(rootDir, "/"u8.ToArray(), root, parentRoot, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Tree> ArchiveTrieLevelAsync(DirectoryHandle dir, byte[] dirPath, PathTrie level, Tree? parentTree, CancellationToken cancellationToken)
    {
        var nodes = new List<Node>();
        foreach (var (name, child) in level.Children)
        {
            if (StopRequested()) break;
            var path = PathBytes.Join(dirPath, name);
            var previous = parentTree?.Find(name);
            if (child.IsTarget)
            {
                var entry = await ArchiveEntryAsync(dir, name, path, previous, rootDevice: null, cancellationToken).ConfigureAwait(false);
                if (entry is null)
                    throw new CairnException($"cannot back up {PathBytes.ToDisplay(path)}: it does not exist or cannot be read", ExitCode.NotFound);
                nodes.Add(await entry.ConfigureAwait(false));
                continue;
            }
            FileStatus st;
            try
            {
                st = dir.Stat(name);
            }
            catch (PosixException e)
            {
                throw new CairnException($"cannot back up below {PathBytes.ToDisplay(path)}: {e.Message}", ExitCode.NotFound, e);
            }
            using var sub = dir.OpenDirectory(name);
            var previousTree = await LoadPreviousTreeAsync(previous, cancellationToken).ConfigureAwait(false);
            var node = MakeNode(dir, name, path, st);
            var subtree = await ArchiveTrieLevelAsync(sub, path, child, previousTree, cancellationToken).ConfigureAwait(false);
            node.Subtree = (await _repository.SaveTreeAsync(subtree, cancellationToken).ConfigureAwait(false)).Id;
            nodes.Add(node);
        }
        return new Tree(nodes);
    }

    /// <summary>
    /// Archives one entry. Returns null if it vanished; otherwise a task for its finished node (files complete when a
    /// worker has stored them, directories when all their entries are stored).
    /// </summary>
    private async Task<Task<Node>?> ArchiveEntryAsync(DirectoryHandle dir, byte[] name, byte[] path, Node? previous, ulong? rootDevice, CancellationToken cancellationToken)
    {
        FileStatus st;
        try
        {
            st = dir.Stat(name);
        }
        catch (PosixException e)
        {
            Warn(path, e.Message);
            return null;
        }
        Progress.AddEntry();
        var node = MakeNode(dir, name, path, st);
        switch (st.Kind)
        {
            case FileKind.Regular:
                return await ArchiveFileAsync(dir, name, path, st, node, previous).ConfigureAwait(false);
            case FileKind.Directory:
                return await ArchiveDirectoryAsync(dir, name, path, st, node, previous, rootDevice ?? st.Device, cancellationToken).ConfigureAwait(false);
            case FileKind.Symlink:
                try
                {
                    node.LinkTarget = dir.ReadLink(name);
                }
                catch (PosixException e)
                {
                    Warn(path, e.Message);
                    return null;
                }
                break;
            case FileKind.CharDevice:
            case FileKind.BlockDevice:
                node.RDev = st.RDev;
                break;
        }
        return Task.FromResult(node);
    }

    private async Task<Task<Node>> ArchiveFileAsync(DirectoryHandle dir, byte[] name, byte[] path, FileStatus st, Node node, Node? previous)
    {
        if (!_options.Force && previous is { Kind: NodeKind.File, Content: { } chunks } && (previous.Flags & NodeFlags.ChangedDuringBackup) == 0
            && previous.Size == st.Size && previous.ModifyTimeNs == st.ModifyTimeNs && previous.ChangeTimeNs == st.ChangeTimeNs
            && previous.Inode == st.Inode && chunks.TrueForAll(id => _repository.Content.Contains(id)))
        {
            node.Content = chunks;
            node.Extents = previous.Extents;
            node.Size = previous.Size;
            // Changing an extended attribute updates ctime, so an unchanged ctime means the previous ones still hold.
            node.ExtendedAttributes = previous.ExtendedAttributes;
            Progress.AddFile(FileChange.Unchanged, st.Size);
            return Task.FromResult(node);
        }
        var change = previous is { Kind: NodeKind.File } ? FileChange.Changed : FileChange.New;

        var tcs = new TaskCompletionSource<FileContent?>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The second and later names of a hardlinked file share the first one's content instead of re-reading it.
        var content = st.LinkCount > 1 ? _hardlinks.GetOrAdd((st.Device, st.Inode), tcs.Task) : tcs.Task;
        if (content == tcs.Task) await EnqueueAsync(dir, name, path, st, tcs).ConfigureAwait(false);
        return FinishFileAsync(node, content, change, st.Size);
    }

    private async Task<Node> FinishFileAsync(Node node, Task<FileContent?> pending, FileChange change, long size)
    {
        var content = await pending.ConfigureAwait(false);
        if (content is null) return node; // unreadable: the caller drops it (Content stays null)
        node.Content = content.Chunks;
        node.Extents = content.Extents;
        node.Size = content.Size;
        node.ExtendedAttributes = content.ExtendedAttributes;
        if (content.Changed) node.Flags |= NodeFlags.ChangedDuringBackup;
        Progress.AddFile(change, size);
        return node;
    }

    private async Task EnqueueAsync(DirectoryHandle dir, byte[] name, byte[] path, FileStatus st, TaskCompletionSource<FileContent?> result) =>
        await _queue!.Writer.WriteAsync(new FileJob(dir, name, PathBytes.ToDisplay(path), st, result)).ConfigureAwait(false);

    private async Task WorkAsync(ChannelReader<FileJob> jobs, CancellationToken cancellationToken)
    {
        var saver = new FileSaver(_repository.Content, Progress);
        await foreach (var job in jobs.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (StopRequested())
            {
                // Queued but not started: left out of its directory, to be read by the next run.
                job.Result.SetResult(null);
                continue;
            }
            try
            {
                var content = await saver.SaveAsync(job.Directory, job.Name, job.Status, Stop, cancellationToken).ConfigureAwait(false);
                if (content.Changed) Warn(job.DisplayPath, "the file changed while it was read; its stored content may be inconsistent");
                job.Result.SetResult(content);
            }
            catch (PosixException e) when (!Errno.IsStorageFull(e.Errno))
            {
                Warn(job.DisplayPath, e.Message);
                job.Result.SetResult(null);
            }
            catch (OperationCanceledException) when (Stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Stopped between two chunks: the chunks stored so far stay in their packs (the next run finds them in the
                // index and does not upload them again), but the file is left out of this tree.
                _stopped = true;
                job.Result.SetResult(null);
            }
            catch (Exception e)
            {
                job.Result.SetException(e);
                Interlocked.CompareExchange(ref _workerFailure, e, null);
                // Closing the queue wakes the walker: once every worker has failed, nobody reads it, and a walker
                // waiting for room in a full queue would wait forever.
                _queue!.Writer.TryComplete(e);
                // Directories wait for the results of their queued files; fail those nobody will now process.
                while (jobs.TryRead(out var orphan)) orphan.Result.TrySetException(e);
                throw;
            }
        }
    }

    // Walks one directory: lists it and queues its files, recursing into subdirectories, and returns once everything
    // below is queued. The returned task completes when all entries are stored and the directory's tree is saved. The
    // walk itself is sequential, so open directory handles are bounded by the queue length plus the tree's depth.
    private async Task<Task<Node>> ArchiveDirectoryAsync(DirectoryHandle parentDir, byte[] name, byte[] path, FileStatus st, Node node, Node? previous,
        ulong rootDevice, CancellationToken cancellationToken)
    {
        var previousTree = await LoadPreviousTreeAsync(previous, cancellationToken).ConfigureAwait(false);
        var pending = new List<Task<Node>>();
        DirectoryHandle? sub = null;
        // A mount point on another filesystem is kept as an empty directory, as restic does.
        if (!_options.OneFileSystem || st.Device == rootDevice)
        {
            List<byte[]> names;
            try
            {
                sub = parentDir.OpenDirectory(name);
                names = sub.ReadNames();
            }
            catch (PosixException e)
            {
                sub?.Dispose();
                sub = null;
                names = [];
                Warn(path, e.Message);
            }
            names.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
            try
            {
                foreach (var childName in names)
                {
                    if (StopRequested()) break;
                    var childPath = PathBytes.Join(path, childName);
                    if (!_excludes.IsEmpty && _excludes.IsMatch(PathBytes.ToDisplay(childPath), PathBytes.ToDisplay(childName))) continue;
                    var entry = await ArchiveEntryAsync(sub!, childName, childPath, previousTree?.Find(childName), rootDevice, cancellationToken).ConfigureAwait(false);
                    if (entry is not null) pending.Add(entry);
                }
            }
            catch
            {
                await CloseWhenDoneAsync(sub, pending).ConfigureAwait(false);
                throw;
            }
        }
        return CompleteDirectoryAsync(node, previous, sub, pending, cancellationToken);
    }

    private async Task<Node> CompleteDirectoryAsync(Node node, Node? previous, DirectoryHandle? handle, List<Task<Node>> pending, CancellationToken cancellationToken)
    {
        // Workers read files through the handle, so it stays open until every child has finished.
        await CloseWhenDoneAsync(handle, pending).ConfigureAwait(false);
        var children = new List<Node>(pending.Count);
        foreach (var task in pending)
        {
            var child = await task.ConfigureAwait(false);
            if (child.Kind != NodeKind.File || child.Content is not null) children.Add(child);
        }
        var stored = await _repository.SaveTreeAsync(new Tree(children), cancellationToken).ConfigureAwait(false);
        node.Subtree = stored.Id;
        Progress.AddDirectory(previous is not { Kind: NodeKind.Directory } ? FileChange.New
            : previous.Subtree == stored.Id ? FileChange.Unchanged : FileChange.Changed);
        return node;
    }

    private static async Task CloseWhenDoneAsync(DirectoryHandle? handle, List<Task<Node>> pending)
    {
        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Failures surface where the results are awaited; here we only need everything to have stopped.
        }
        finally
        {
            handle?.Dispose();
        }
    }

    // The parent snapshot's listing of the same directory, if it had one there.
    private async Task<Tree?> LoadPreviousTreeAsync(Node? previous, CancellationToken cancellationToken) =>
        previous is { Kind: NodeKind.Directory } ? await LoadParentTreeAsync(previous.Subtree, cancellationToken).ConfigureAwait(false) : null;

    // Backup never needs cold data: this writer keeps trees in hot packs, but an older repository's packs mix trees and
    // data, and a lifecycle rule may have archived one. The parent then only costs speed: the directory's files are read
    // as if new, and deduplication against the index still stores nothing twice.
    private async Task<Tree?> LoadParentTreeAsync(ObjectId id, CancellationToken cancellationToken)
    {
        try
        {
            return await _repository.LoadTreeAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobArchivedException)
        {
            Progress.AddColdParentTree();
            return null;
        }
    }

    private Node MakeNode(DirectoryHandle dir, byte[] name, byte[] path, FileStatus st)
    {
        var node = new Node
        {
            Name = name,
            Kind = (NodeKind)st.Kind,
            Mode = st.Mode,
            Uid = st.Uid,
            Gid = st.Gid,
            User = Accounts.UserName(st.Uid),
            Group = Accounts.GroupName(st.Gid),
            ModifyTimeNs = st.ModifyTimeNs,
            ChangeTimeNs = st.ChangeTimeNs,
            Inode = st.Inode,
            Device = st.Device,
            LinkCount = st.LinkCount,
            Size = st.Kind == FileKind.Regular ? st.Size : 0,
        };
        // Regular files get theirs from the parent snapshot (if unchanged) or from the worker that opens them.
        if (st.Kind == FileKind.Regular) return node;
        try
        {
            var xattrs = dir.ReadExtendedAttributes(name);
            if (xattrs.Count > 0) node.ExtendedAttributes = xattrs;
        }
        catch (PosixException e)
        {
            Warn(path, "extended attributes not saved: " + e.Message);
        }
        return node;
    }

    private bool StopRequested()
    {
        if (!Stop.IsCancellationRequested) return false;
        _stopped = true;
        return true;
    }

    private void Warn(byte[] path, string message) => Warn(PathBytes.ToDisplay(path), message);

    private void Warn(string path, string message)
    {
        _warnings.Add(new SnapshotWarning(path, message));
        Progress.AddWarning();
    }
}
