namespace Cairn.Platform;

/// <summary>The type of a filesystem entry, as encoded in the S_IFMT bits of st_mode.</summary>
public enum FileKind : byte
{
    /// <summary>A regular file.</summary>
    Regular = 1,
    /// <summary>A directory.</summary>
    Directory = 2,
    /// <summary>A symbolic link.</summary>
    Symlink = 3,
    /// <summary>A named pipe.</summary>
    Fifo = 4,
    /// <summary>A character device node.</summary>
    CharDevice = 5,
    /// <summary>A block device node.</summary>
    BlockDevice = 6,
    /// <summary>A Unix domain socket.</summary>
    Socket = 7,
}
