using Cairn.Content.Packs;
using Cairn.Platform;
using Cairn.Snapshots.Trees;

namespace Cairn.Archiving.Restore;

/// <summary>
/// A directory of the restore target that is created only when the first entry below it is kept, so filtered
/// restores leave no empty directories behind. Holds an open handle only while the tree walk is inside it.
/// </summary>
internal sealed class LazyDirectory(LazyDirectory? parent, byte[] name, byte[] path, Node? node)
{
    private DirectoryHandle? _handle;

    public LazyDirectory? Parent { get; } = parent;
    public byte[] Name { get; } = name;
    public byte[] Path { get; } = path;

    /// <summary>The snapshot entry for this directory; null for the restore target itself.</summary>
    public Node? Node { get; } = node;

    public bool Created { get; private set; }

    /// <summary>Entries created directly in this directory, in creation order (subdirectories included).</summary>
    public List<PlannedEntry> Children { get; } = [];

    public DirectoryHandle Handle()
    {
        if (_handle is not null) return _handle;
        if (Parent is null)
        {
            _handle = DirectoryHandle.Open(Path);
        }
        else
        {
            var parentHandle = Parent.Handle();
            // Owner-only until metadata is applied at the end, so nobody reads half-restored data.
            parentHandle.CreateDirectory(Name, 0x1C0, ignoreExisting: true);
            if (!Created && Node is not null) Parent.Children.Add(new PlannedEntry(this, Parent, Name, Node));
            _handle = parentHandle.OpenDirectory(Name);
        }
        Created = true;
        return _handle;
    }

    /// <summary>The snapshot path of <paramref name="childName"/> in this directory ("/etc/hosts"), for messages; built
    /// on demand because keeping one string per restored file costs more memory than the rest of its plan.</summary>
    public string DisplayOf(ReadOnlySpan<byte> childName)
    {
        var parts = new List<string> { PathBytes.ToDisplay(childName) };
        for (var dir = this; dir.Parent is not null; dir = dir.Parent) parts.Add(PathBytes.ToDisplay(dir.Name));
        parts.Reverse();
        return "/" + string.Join('/', parts);
    }

    public void Close()
    {
        _handle?.Dispose();
        _handle = null;
    }

    private readonly Lock _writeLock = new();
    private DirectoryHandle? _writeHandle;
    private int _pendingFiles;

    /// <summary>Counts a file of this directory whose content is still to be written.</summary>
    public void AddPendingFile() => Interlocked.Increment(ref _pendingFiles);

    /// <summary>
    /// A handle for writing file content, opened once and shared by all workers while files here are pending:
    /// opening by name relative to it avoids resolving the whole path for every chunk.
    /// </summary>
    public DirectoryHandle AcquireForWrite()
    {
        lock (_writeLock) return _writeHandle ??= DirectoryHandle.Open(Path);
    }

    /// <summary>Marks one pending file finished; the last one closes the shared handle (no other file can still be using it).</summary>
    public void FileDone()
    {
        if (Interlocked.Decrement(ref _pendingFiles) != 0) return;
        lock (_writeLock)
        {
            _writeHandle?.Dispose();
            _writeHandle = null;
        }
    }
}

/// <summary>One created entry: where it is and the snapshot node whose metadata it gets.</summary>
internal sealed record PlannedEntry(LazyDirectory? AsDirectory, LazyDirectory Parent, byte[] Name, Node Node)
{
    /// <summary>The entry's absolute path in the target (computed: one stored per file would double the plan's size).</summary>
    public byte[] Path => PathBytes.Join(Parent.Path, Name);
}

/// <summary>A regular file whose content the restore writes.</summary>
internal sealed class PlannedFile(PlannedEntry entry)
{
    public PlannedEntry Entry { get; } = entry;

    /// <summary>The file's snapshot path, for messages.</summary>
    public string Display => Entry.Parent.DisplayOf(Entry.Name);

    /// <summary>Each chunk's id and length, in file order; kept only for --verify, null otherwise.</summary>
    public BlobEntry[]? Chunks { get; set; }

    public int Remaining;
    public bool Failed;
}

/// <summary>
/// One blob to be written to one place: the restore sorts all of them by pack and offset, so each pack is read once,
/// front to back. A flat array of these is the restore's whole data plan (~72 bytes per chunk of every file).
/// </summary>
internal readonly record struct Placement(int Pack, BlobEntry Entry, PlannedFile File, long ContentOffset);
