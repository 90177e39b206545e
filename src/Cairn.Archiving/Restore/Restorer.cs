using System.Buffers;
using Cairn.Content;
using System.Collections.Concurrent;
using Cairn.Content.Index;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Archiving.Restore;

/// <summary>
/// Layer 4: restores a snapshot (or part of it) into a directory. It creates the tree first, then writes file content
/// pack by pack in parallel, reading each pack's needed blobs in a few large ranged reads, so data is written in the
/// order it is stored. Metadata (owner, mode, xattrs, times) is applied last, children before their directory.
/// </summary>
public sealed class Restorer
{
    // Blobs closer than this are fetched in one read: cheaper than a second request on every backend.
    private const int MaxReadGap = 512 * 1024;
    private const int MaxReadLength = 8 * 1024 * 1024;

    private readonly Repository _repository;
    private readonly Snapshot _snapshot;
    private readonly RestoreOptions _options;
    private readonly PathMatcher _includes;
    private readonly PathMatcher _excludes;
    private readonly List<LazyDirectory> _directories = [];
    private readonly List<PlannedFile> _files = [];
    private readonly Dictionary<(ulong, ulong), PlannedEntry> _hardlinks = [];
    private readonly ConcurrentBag<RestoreError> _errors = [];
    private long _otherEntries;
    private long _bytes;

    /// <summary>Prepares a restore of <paramref name="snapshot"/>.</summary>
    public Restorer(Repository repository, Snapshot snapshot, RestoreOptions options)
    {
        _repository = repository;
        _snapshot = snapshot;
        _options = options;
        _includes = new PathMatcher(options.Includes);
        _excludes = new PathMatcher(options.Excludes);
    }

    /// <summary>Live counters for progress displays.</summary>
    public RestoreProgress Progress { get; } = new();

    /// <summary>Restores and returns what was done; damaged data is reported in <see cref="RestoreResult.Errors"/>, not thrown.</summary>
    public async Task<RestoreResult> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.Target);
        var targetPath = PathBytes.Normalize(PathBytes.Absolute(PathBytes.FromString(_options.Target)));
        var root = new LazyDirectory(null, [], targetPath, null);
        _directories.Add(root);
        var rootTree = await _repository.LoadTreeAsync(_snapshot.Tree, cancellationToken).ConfigureAwait(false);
        await CreateTreeAsync(root, rootTree, "", ancestorSelected: _includes.IsEmpty, cancellationToken).ConfigureAwait(false);
        root.Close();

        await WriteContentAsync(cancellationToken).ConfigureAwait(false);
        ApplyMetadata();
        long verified = _options.Verify ? Verify(cancellationToken) : 0;

        var errors = _errors.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
        return new RestoreResult(_files.Count, _directories.Count(d => d.Created) - 1, _otherEntries, _bytes, errors, verified);
    }

    private async Task CreateTreeAsync(LazyDirectory dir, Tree tree, string display, bool ancestorSelected, CancellationToken cancellationToken)
    {
        foreach (var node in tree.Nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Select(node, display, ancestorSelected) is not var (childDisplay, selected)) continue;
            var path = PathBytes.Join(dir.Path, node.Name);
            if (node.Kind == NodeKind.Directory)
            {
                var sub = new LazyDirectory(dir, node.Name, path, node);
                _directories.Add(sub);
                if (selected) sub.Handle();
                var subtree = await _repository.LoadTreeAsync(node.Subtree, cancellationToken).ConfigureAwait(false);
                await CreateTreeAsync(sub, subtree, childDisplay, selected, cancellationToken).ConfigureAwait(false);
                sub.Close();
                continue;
            }
            if (!selected) continue;
            try
            {
                CreateEntry(dir, node, path, childDisplay);
            }
            catch (PosixException e) when (!Errno.IsStorageFull(e.Errno))
            {
                _errors.Add(new RestoreError(childDisplay, e.Message));
            }
        }
    }

    /// <summary>
    /// The packs this restore reads data from (for the selected files), found by walking the snapshot's trees without
    /// creating anything, so a command can find out which of them are archived before it writes a single file.
    /// </summary>
    public async Task<IReadOnlyCollection<ObjectId>> FindPacksAsync(CancellationToken cancellationToken)
    {
        var packs = new HashSet<ObjectId>();
        var root = await _repository.LoadTreeAsync(_snapshot.Tree, cancellationToken).ConfigureAwait(false);
        await CollectPacksAsync(root, "", _includes.IsEmpty, packs, cancellationToken).ConfigureAwait(false);
        return packs;
    }

    private async Task CollectPacksAsync(Tree tree, string display, bool ancestorSelected, HashSet<ObjectId> packs, CancellationToken cancellationToken)
    {
        foreach (var node in tree.Nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Select(node, display, ancestorSelected) is not var (childDisplay, selected)) continue;
            if (node.Kind == NodeKind.Directory)
            {
                var subtree = await _repository.LoadTreeAsync(node.Subtree, cancellationToken).ConfigureAwait(false);
                await CollectPacksAsync(subtree, childDisplay, selected, packs, cancellationToken).ConfigureAwait(false);
            }
            else if (selected && node.Kind == NodeKind.File)
            {
                foreach (var id in node.Content ?? [])
                    if (_repository.Content.Index.TryGet(id, out var location)) packs.Add(location.PackId);
            }
        }
    }

    // The one place that decides what is restored: null when the node is excluded (with everything below it), else its
    // display path and whether it is selected (an include matched it or a directory above it).
    private (string Display, bool Selected)? Select(Node node, string display, bool ancestorSelected)
    {
        var nameDisplay = PathBytes.ToDisplay(node.Name);
        var childDisplay = display + "/" + nameDisplay;
        if (!_excludes.IsEmpty && _excludes.IsMatch(childDisplay, nameDisplay)) return null;
        return (childDisplay, ancestorSelected || _includes.IsMatch(childDisplay, nameDisplay));
    }

    private void CreateEntry(LazyDirectory dir, Node node, byte[] path, string display)
    {
        var handle = dir.Handle();
        var entry = new PlannedEntry(null, dir, node.Name, path, node);
        RemoveExisting(handle, node.Name);
        switch (node.Kind)
        {
            case NodeKind.File:
                if (node.LinkCount > 1 && _hardlinks.TryGetValue((node.Device, node.Inode), out var first))
                {
                    using var firstDir = DirectoryHandle.Open(first.Parent.Path);
                    handle.CreateHardLink(node.Name, firstDir, first.Name);
                    _otherEntries++;
                    return; // shares the first name's inode, content and metadata
                }
                if (node.LinkCount > 1) _hardlinks[(node.Device, node.Inode)] = entry;
                using (var file = handle.CreateFile(node.Name, 0x180))
                {
                    // Sparse files get their final size now, so every range that is never written stays a hole.
                    if (node.Extents is not null) file.SetLength(node.Size);
                    // Owner and xattrs go on the open descriptor now; mode and times when the last chunk is written.
                    if (Accounts.IsRoot) file.SetOwner(ResolveUid(node), ResolveGid(node));
                    if (node.ExtendedAttributes is { } xattrs)
                        foreach (var (attribute, value) in xattrs) file.WriteExtendedAttribute(attribute, value);
                    if (PlanContent(entry, display) == 0) FinishFile(file, node);
                }
                return; // files get all their metadata through their descriptors, not in the final pass
            case NodeKind.Symlink:
                handle.CreateSymlink(node.Name, node.LinkTarget ?? []);
                _otherEntries++;
                break;
            case NodeKind.Fifo:
                handle.CreateFifo(node.Name, node.Mode);
                _otherEntries++;
                break;
            case NodeKind.CharDevice:
            case NodeKind.BlockDevice:
                handle.CreateDevice(node.Name, (FileKind)node.Kind, node.Mode, node.RDev);
                _otherEntries++;
                break;
            case NodeKind.Socket:
                return; // a socket belongs to a running process; there is nothing to recreate
        }
        dir.Children.Add(entry);
    }

    // Restoring over an older restore must replace files, not write into them through a stale hardlink or symlink.
    private static void RemoveExisting(DirectoryHandle dir, byte[] name)
    {
        try
        {
            var st = dir.Stat(name);
            if (st.Kind == FileKind.Directory) dir.DeleteTree(name);
            else dir.Delete(name);
        }
        catch (PosixException e) when (Errno.IsNotFound(e.Errno))
        {
        }
    }

    // Returns the number of chunks to write.
    private int PlanContent(PlannedEntry entry, string display)
    {
        var planned = new PlannedFile(entry, display);
        _files.Add(planned);
        var chunks = entry.Node.Content ?? [];
        foreach (var id in chunks)
        {
            if (!_repository.Content.Index.TryGet(id, out var location))
            {
                _errors.Add(new RestoreError(display, $"data blob {id.ToShortString()} is missing from the repository; the file is incomplete"));
                planned.Failed = true;
                continue;
            }
            planned.Chunks.Add(location);
        }
        planned.Remaining = planned.Chunks.Count;
        // The locations (with the ids, for --verify) are all the restore needs now; the node is kept for its metadata
        // until the end, and its id list would double the plan's memory per chunk.
        entry.Node.Content = null;
        Progress.AddPlanned(entry.Node.Size);
        if (planned.Remaining == 0) Progress.AddFileDone();
        else entry.Parent.AddPendingFile();
        Interlocked.Add(ref _bytes, entry.Node.Size);
        return planned.Remaining;
    }

    // Mode after content (a write by a non-root user would clear setuid), times last of all.
    private static void FinishFile(PosixFile file, Node node)
    {
        file.SetMode(node.Mode);
        file.SetTimes(node.ModifyTimeNs, node.ModifyTimeNs);
    }

    private static uint ResolveUid(Node node) => (node.User is not null ? Accounts.UserId(node.User) : null) ?? node.Uid;

    private static uint ResolveGid(Node node) => (node.Group is not null ? Accounts.GroupId(node.Group) : null) ?? node.Gid;

    private sealed record BlobTarget(PlannedFile File, long ContentOffset);

    private async Task WriteContentAsync(CancellationToken cancellationToken)
    {
        // pack → blob → every place it goes (one blob can fill many files and many offsets).
        var packs = new Dictionary<ObjectId, Dictionary<ObjectId, (BlobLocation Location, List<BlobTarget> Targets)>>();
        foreach (var file in _files)
        {
            long offset = 0;
            foreach (var location in file.Chunks)
            {
                if (!packs.TryGetValue(location.PackId, out var blobs)) packs[location.PackId] = blobs = [];
                if (!blobs.TryGetValue(location.Entry.Id, out var blob)) blobs[location.Entry.Id] = blob = (location, []);
                blob.Targets.Add(new BlobTarget(file, offset));
                offset += location.Entry.RawLength;
            }
        }
        var work = packs.Select(p => (PackId: p.Key, Blobs: p.Value.Values.OrderBy(b => b.Location.Entry.Offset).ToList()))
            .OrderBy(p => p.PackId).ToList();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Workers), CancellationToken = cancellationToken },
            async (pack, ct) =>
            {
                int start = 0;
                while (start < pack.Blobs.Count)
                {
                    int end = start + 1;
                    long rangeStart = pack.Blobs[start].Location.Entry.Offset;
                    long rangeEnd = rangeStart + pack.Blobs[start].Location.Entry.StoredLength;
                    while (end < pack.Blobs.Count)
                    {
                        var next = pack.Blobs[end].Location.Entry;
                        long nextEnd = next.Offset + next.StoredLength;
                        if (next.Offset - rangeEnd > MaxReadGap || nextEnd - rangeStart > MaxReadLength) break;
                        rangeEnd = Math.Max(rangeEnd, nextEnd);
                        end++;
                    }
                    await RestoreRangeAsync(pack.PackId, pack.Blobs.GetRange(start, end - start), rangeStart, (int)(rangeEnd - rangeStart), ct).ConfigureAwait(false);
                    start = end;
                }
            }).ConfigureAwait(false);
    }

    private async Task RestoreRangeAsync(ObjectId packId, List<(BlobLocation Location, List<BlobTarget> Targets)> blobs, long rangeStart, int rangeLength, CancellationToken cancellationToken)
    {
        var buffer = LargeBuffers.Pool.Rent(rangeLength);
        try
        {
            try
            {
                await _repository.Content.ReadPackRangeAsync(packId, rangeStart, buffer.AsMemory(0, rangeLength), cancellationToken).ConfigureAwait(false);
            }
            // A cold pack is not damage: it stops the restore with exit code 20 (the command looked for cold packs first, so
            // only a store that misreported one gets here).
            catch (Cairn.Storage.StorageException e) when (e.ExitCode is not (ExitCode.StorageFull or ExitCode.Interrupted or ExitCode.ColdStorage))
            {
                foreach (var (location, targets) in blobs) Fail(targets, $"{ContentStore.Describe(location)} cannot be read: {e.Message}");
                return;
            }
            foreach (var (location, targets) in blobs)
            {
                var entry = location.Entry;
                var plain = LargeBuffers.Pool.Rent((int)entry.RawLength);
                try
                {
                    _repository.Content.Decode(location, buffer.AsSpan((int)(entry.Offset - rangeStart), (int)entry.StoredLength), plain.AsSpan(0, (int)entry.RawLength));
                }
                catch (IntegrityException e)
                {
                    LargeBuffers.Pool.Return(plain);
                    Fail(targets, e.Message);
                    continue;
                }
                try
                {
                    foreach (var target in targets) Write(target, plain.AsSpan(0, (int)entry.RawLength));
                }
                finally
                {
                    LargeBuffers.Pool.Return(plain);
                }
            }
        }
        finally
        {
            LargeBuffers.Pool.Return(buffer);
        }
    }

    private void Fail(List<BlobTarget> targets, string message)
    {
        foreach (var target in targets)
        {
            target.File.Failed = true;
            _errors.Add(new RestoreError(target.File.Display, message));
        }
    }

    private void Write(BlobTarget target, ReadOnlySpan<byte> data)
    {
        var file = target.File;
        var directory = file.Entry.Parent;
        bool last = false;
        try
        {
            using var handle = directory.AcquireForWrite().OpenFileForWrite(file.Entry.Name);
            var extents = file.Entry.Node.Extents;
            if (extents is null) handle.WriteAt(data, target.ContentOffset);
            else WriteIntoExtents(handle, extents, target.ContentOffset, data);
            last = Interlocked.Decrement(ref file.Remaining) == 0;
            if (last) FinishFile(handle, file.Entry.Node);
        }
        catch (PosixException e) when (!Errno.IsStorageFull(e.Errno))
        {
            file.Failed = true;
            _errors.Add(new RestoreError(file.Display, e.Message));
        }
        finally
        {
            Progress.AddWritten(data.Length);
            if (last)
            {
                Progress.AddFileDone();
                directory.FileDone();
            }
        }
    }

    // Sparse files store only their data extents, back to back; map the content offset to file offsets.
    private static void WriteIntoExtents(PosixFile handle, List<Extent> extents, long contentOffset, ReadOnlySpan<byte> data)
    {
        long extentContentStart = 0;
        foreach (var extent in extents)
        {
            if (data.IsEmpty) break;
            long extentContentEnd = extentContentStart + extent.Length;
            if (contentOffset < extentContentEnd)
            {
                long within = contentOffset - extentContentStart;
                int n = (int)Math.Min(data.Length, extent.Length - within);
                handle.WriteAt(data[..n], extent.Offset + within);
                data = data[n..];
                contentOffset += n;
            }
            extentContentStart = extentContentEnd;
        }
    }

    private void ApplyMetadata()
    {
        // Deepest directories come last in creation order, so walking backwards finishes every child before its parent.
        for (int i = _directories.Count - 1; i >= 0; i--)
        {
            var dir = _directories[i];
            if (!dir.Created || dir.Children.Count == 0) continue;
            using var handle = DirectoryHandle.Open(dir.Path);
            foreach (var entry in dir.Children)
            {
                try
                {
                    ApplyMetadata(handle, entry.Name, entry.Node);
                }
                catch (PosixException e) when (!Errno.IsStorageFull(e.Errno))
                {
                    _errors.Add(new RestoreError(PathBytes.ToDisplay(entry.Path), "metadata not restored: " + e.Message));
                }
            }
        }
    }

    private static void ApplyMetadata(DirectoryHandle dir, byte[] name, Node node)
    {
        // Order matters: chown clears setuid/setgid bits, and writing xattrs or changing modes updates ctime, not mtime,
        // so times go last.
        if (Accounts.IsRoot) dir.SetOwner(name, ResolveUid(node), ResolveGid(node));
        if (node.Kind != NodeKind.Symlink) dir.SetMode(name, node.Mode);
        if (node.ExtendedAttributes is { } xattrs)
            foreach (var (attribute, value) in xattrs)
                dir.WriteExtendedAttribute(name, attribute, value);
        dir.SetTimes(name, node.ModifyTimeNs, node.ModifyTimeNs);
    }

    private long Verify(CancellationToken cancellationToken)
    {
        long verified = 0;
        Parallel.ForEach(_files.Where(f => !f.Failed), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, file =>
        {
            try
            {
                if (VerifyFile(file)) Interlocked.Increment(ref verified);
                else _errors.Add(new RestoreError(file.Display, "verification failed: the restored content differs from the snapshot"));
            }
            catch (PosixException e)
            {
                _errors.Add(new RestoreError(file.Display, "verification failed: " + e.Message));
            }
        });
        return verified;
    }

    // Reads the file back in the snapshot's chunk lengths and checks each piece's keyed hash against the chunk id.
    private bool VerifyFile(PlannedFile file)
    {
        using var dir = DirectoryHandle.Open(file.Entry.Parent.Path);
        using var handle = dir.OpenFile(file.Entry.Name);
        var node = file.Entry.Node;
        if (handle.Stat().Size != node.Size) return false;
        var extents = node.Extents ?? [new Extent(0, node.Size)];
        int extentIndex = 0;
        long withinExtent = 0;
        foreach (var chunk in file.Chunks)
        {
            int length = (int)chunk.Entry.RawLength;
            var buffer = LargeBuffers.Pool.Rent(length);
            try
            {
                int filled = 0;
                while (filled < length)
                {
                    if (extentIndex >= extents.Count) return false;
                    var extent = extents[extentIndex];
                    int want = (int)Math.Min(length - filled, extent.Length - withinExtent);
                    int n = handle.ReadAt(buffer.AsSpan(filled, want), extent.Offset + withinExtent);
                    if (n == 0) return false;
                    filled += n;
                    withinExtent += n;
                    if (withinExtent == extent.Length)
                    {
                        extentIndex++;
                        withinExtent = 0;
                    }
                }
                if (_repository.Content.Hasher.Compute(buffer.AsSpan(0, length)) != chunk.Entry.Id) return false;
            }
            finally
            {
                LargeBuffers.Pool.Return(buffer);
            }
        }
        return true;
    }
}
