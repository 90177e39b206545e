using Cairn.Content;

namespace Cairn.Snapshots.Trees;

/// <summary>The kind of a tree entry. The numbers are part of the repository format.</summary>
public enum NodeKind : byte
{
    /// <summary>A regular file; its content is a list of data chunks.</summary>
    File = 1,
    /// <summary>A directory; its entries are another tree.</summary>
    Directory = 2,
    /// <summary>A symbolic link; its target is stored as bytes.</summary>
    Symlink = 3,
    /// <summary>A named pipe.</summary>
    Fifo = 4,
    /// <summary>A character device node.</summary>
    CharDevice = 5,
    /// <summary>A block device node.</summary>
    BlockDevice = 6,
    /// <summary>A Unix socket (recorded, not recreated: sockets belong to a running process).</summary>
    Socket = 7,
}

/// <summary>Per-entry flags. The numbers are part of the repository format.</summary>
[Flags]
public enum NodeFlags : uint
{
    /// <summary>Nothing unusual.</summary>
    None = 0,
    /// <summary>The file changed while it was read: its content may mix old and new data.</summary>
    ChangedDuringBackup = 1,
    /// <summary>Some of the file's content was lost from the repository and is missing (set by repair).</summary>
    DataLost = 2,
}

/// <summary>A byte range of a sparse file that holds data; everything outside the extents is a hole.</summary>
public readonly record struct Extent(long Offset, long Length);

/// <summary>One entry of a directory tree: a name (raw bytes) and the metadata and content to restore it.</summary>
public sealed class Node
{
    /// <summary>The entry's name, exactly as the filesystem gave it (not necessarily UTF-8).</summary>
    public required byte[] Name { get; init; }

    /// <summary>What the entry is.</summary>
    public required NodeKind Kind { get; init; }

    /// <summary>Unusual conditions, e.g. a file that changed while it was read.</summary>
    public NodeFlags Flags { get; set; }

    /// <summary>Permission bits including setuid, setgid and sticky (st_mode &amp; 07777).</summary>
    public uint Mode { get; set; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; set; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; set; }

    /// <summary>Owner user name at backup time, if known; restore maps names back to ids when they exist.</summary>
    public string? User { get; set; }

    /// <summary>Owner group name at backup time, if known.</summary>
    public string? Group { get; set; }

    /// <summary>Modification time, nanoseconds since the Unix epoch.</summary>
    public long ModifyTimeNs { get; set; }

    /// <summary>Status-change time, nanoseconds since the Unix epoch (used by the file cache; cannot be restored).</summary>
    public long ChangeTimeNs { get; set; }

    /// <summary>Inode number at backup time (file cache and hardlink detection).</summary>
    public ulong Inode { get; set; }

    /// <summary>Device id of the filesystem at backup time.</summary>
    public ulong Device { get; set; }

    /// <summary>Number of hard links at backup time.</summary>
    public ulong LinkCount { get; set; }

    /// <summary>File size in bytes (0 for non-files).</summary>
    public long Size { get; set; }

    /// <summary>Device number, for device nodes.</summary>
    public ulong RDev { get; set; }

    /// <summary>Symlink target bytes.</summary>
    public byte[]? LinkTarget { get; set; }

    /// <summary>The file's data chunks, in order. For sparse files they cover only the extents, back to back.</summary>
    public List<ObjectId>? Content { get; set; }

    /// <summary>For sparse files, the data extents; null for an ordinary dense file.</summary>
    public List<Extent>? Extents { get; set; }

    /// <summary>The tree of a directory.</summary>
    public ObjectId Subtree { get; set; }

    /// <summary>Extended attributes (name, value), in the order the filesystem listed them.</summary>
    public List<KeyValuePair<byte[], byte[]>>? ExtendedAttributes { get; set; }

    /// <summary>A shallow copy (lists and arrays are shared), for rewriting one entry of a tree without touching the original.</summary>
    public Node Copy() => (Node)MemberwiseClone();
}
