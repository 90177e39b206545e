using System.Buffers;
using Cairn.Content;
using System.Collections.Concurrent;
using Cairn.Content.Index;
using Cairn.Content.Packs;
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
    private const int MaxReadLength = 4 * 1024 * 1024;

    private readonly Repository _repository;
    private readonly Snapshot _snapshot;
    private readonly RestoreOptions _options;
    private readonly PathMatcher _includes;
    private readonly PathMatcher _excludes;
    private readonly List<LazyDirectory> _directories = [];
    private readonly List<PlannedFile> _files = [];
    private readonly List<Placement> _placements = [];
    private readonly Dictionary<ObjectId, int> _packNumbers = [];
    private readonly List<ObjectId> _packIds = [];
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
        // Walking the snapshot decoded every tree and grew the plan in doubling steps: tens of MiB of large-object garbage
        // that only a full collection frees. Freeing it once here, before the buffers of the write phase are allocated,
        // lowers the restore's peak memory (measured: docs/PERFORMANCE.md).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

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
                CreateEntry(dir, node, path);
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

    private void CreateEntry(LazyDirectory dir, Node node, byte[] path)
    {
        var handle = dir.Handle();
        var entry = new PlannedEntry(null, dir, node.Name, node);
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
                    if (PlanContent(entry) == 0) FinishFile(file, node);
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
    private int PlanContent(PlannedEntry entry)
    {
        var planned = new PlannedFile(entry);
        _files.Add(planned);
        var chunks = entry.Node.Content ?? [];
        var verifyList = _options.Verify ? new BlobEntry[chunks.Count] : null;
        long contentOffset = 0;
        for (int i = 0; i < chunks.Count; i++)
        {
            var id = chunks[i];
            if (!_repository.Content.Index.TryGet(id, out var location))
            {
                _errors.Add(new RestoreError(planned.Display, $"data blob {id.ToShortString()} is missing from the repository; the file is incomplete"));
                planned.Failed = true;
                verifyList = null; // an incomplete file cannot verify; it is reported already
                continue;
            }
            if (!_packNumbers.TryGetValue(location.PackId, out var pack))
            {
                _packNumbers[location.PackId] = pack = _packIds.Count;
                _packIds.Add(location.PackId);
            }
            _placements.Add(new Placement(pack, location.Entry, planned, contentOffset));
            contentOffset += location.Entry.RawLength;
            if (verifyList is not null) verifyList[i] = location.Entry;
            planned.Remaining++;
        }
        planned.Chunks = verifyList;
        // The placements are all the restore needs now; the node is kept for its metadata until the end, and its id list
        // would double the plan's memory per chunk.
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

    private async Task WriteContentAsync(CancellationToken cancellationToken)
    {
        // One flat array, sorted by pack and offset: each pack's placements are a run, and the places one blob goes to
        // (a chunk shared by many files or offsets) are adjacent within it.
        var placements = _placements;
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(placements).Sort(static (a, b) => a.Pack != b.Pack ? a.Pack.CompareTo(b.Pack) : a.Entry.Offset.CompareTo(b.Entry.Offset));
        var runs = new List<(int Start, int End)>();
        for (int start = 0, end; start < placements.Count; start = end)
        {
            end = start + 1;
            while (end < placements.Count && placements[end].Pack == placements[start].Pack) end++;
            runs.Add((start, end));
        }
        using var buffers = new RestoreBuffers(MaxReadLength, _repository.Content.ChunkDecodeRoom);
        await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Workers), CancellationToken = cancellationToken },
            async (run, ct) =>
            {
                var scratch = buffers.Rent();
                try
                {
                    await RestorePackAsync(placements, run.Start, run.End, scratch, ct).ConfigureAwait(false);
                }
                finally
                {
                    buffers.Return(scratch);
                }
            }).ConfigureAwait(false);
    }

    // Reads one pack's needed blobs in a few large ranged reads (blobs closer than MaxReadGap share a read).
    private async Task RestorePackAsync(List<Placement> placements, int start, int end, RestoreBuffers.Scratch scratch, CancellationToken cancellationToken)
    {
        var packId = _packIds[placements[start].Pack];
        while (start < end)
        {
            long rangeStart = placements[start].Entry.Offset;
            long rangeEnd = rangeStart + placements[start].Entry.StoredLength;
            int next = start + 1;
            while (next < end)
            {
                var entry = placements[next].Entry;
                long entryEnd = entry.Offset + entry.StoredLength;
                if (entry.Offset - rangeEnd > MaxReadGap || entryEnd - rangeStart > MaxReadLength) break;
                rangeEnd = Math.Max(rangeEnd, entryEnd);
                next++;
            }
            await RestoreRangeAsync(packId, placements, start, next, rangeStart, (int)(rangeEnd - rangeStart), scratch, cancellationToken).ConfigureAwait(false);
            start = next;
        }
    }

    // Reads pack bytes [rangeStart, rangeStart + rangeLength) once and writes placements[first..end) from it.
    private async Task RestoreRangeAsync(ObjectId packId, List<Placement> placements, int first, int end, long rangeStart, int rangeLength,
        RestoreBuffers.Scratch scratch, CancellationToken cancellationToken)
    {
        var buffer = scratch.Range(rangeLength);
        try
        {
            await _repository.Content.ReadPackRangeAsync(packId, rangeStart, buffer, cancellationToken).ConfigureAwait(false);
        }
        // A cold pack is not damage: it stops the restore with exit code 20 (the command looked for cold packs first, so
        // only a store that misreported one gets here).
        catch (Cairn.Storage.StorageException e) when (e.ExitCode is not (ExitCode.StorageFull or ExitCode.Interrupted or ExitCode.ColdStorage))
        {
            for (int i = first; i < end; i++) Fail(placements[i].File, $"{ContentStore.Describe(new BlobLocation(packId, placements[i].Entry))} cannot be read: {e.Message}");
            return;
        }
        for (int i = first; i < end;)
        {
            var entry = placements[i].Entry;
            int targetsEnd = i + 1;
            while (targetsEnd < end && placements[targetsEnd].Entry.Offset == entry.Offset) targetsEnd++;
            // Room to decompress in place: the worker's one plaintext buffer is the codec's scratch too.
            var workspace = scratch.Plain(ContentStore.DecodeRoom(entry));
            var plain = workspace[..(int)entry.RawLength];
            bool decoded = true;
            try
            {
                _repository.Content.Decode(new BlobLocation(packId, entry), buffer.Span.Slice((int)(entry.Offset - rangeStart), (int)entry.StoredLength), workspace.Span);
            }
            catch (IntegrityException e)
            {
                for (int t = i; t < targetsEnd; t++) Fail(placements[t].File, e.Message);
                decoded = false;
            }
            if (decoded)
                for (int t = i; t < targetsEnd; t++) Write(placements[t], plain.Span);
            i = targetsEnd;
        }
    }

    private void Fail(PlannedFile file, string message)
    {
        file.Failed = true;
        _errors.Add(new RestoreError(file.Display, message));
    }

    private void Write(in Placement target, ReadOnlySpan<byte> data)
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
        Parallel.ForEach(_files.Where(f => !f.Failed && f.Chunks is not null), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken }, file =>
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
        foreach (var chunk in file.Chunks!)
        {
            int length = (int)chunk.RawLength;
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
                if (_repository.Content.Hasher.Compute(buffer.AsSpan(0, length)) != chunk.Id) return false;
            }
            finally
            {
                LargeBuffers.Pool.Return(buffer);
            }
        }
        return true;
    }
}
