namespace Cairn.Platform;

/// <summary>The metadata of one filesystem entry, from statx(2). Times are nanoseconds since the Unix epoch.</summary>
/// <param name="Kind">The entry's type.</param>
/// <param name="Mode">Permission bits plus setuid, setgid and sticky (st_mode &amp; 07777), without the type bits.</param>
/// <param name="Uid">Owning user id.</param>
/// <param name="Gid">Owning group id.</param>
/// <param name="Size">Size in bytes (for a symlink, the length of its target).</param>
/// <param name="AllocatedBytes">Bytes actually allocated on disk (st_blocks * 512); less than Size for sparse files.</param>
/// <param name="Inode">Inode number.</param>
/// <param name="Device">Device holding the entry, glibc makedev encoding (see <see cref="DeviceNumber"/>).</param>
/// <param name="LinkCount">Number of hard links.</param>
/// <param name="RDev">For device nodes, the device it stands for, glibc makedev encoding.</param>
/// <param name="AccessTimeNs">Last access time.</param>
/// <param name="ModifyTimeNs">Last content modification time.</param>
/// <param name="ChangeTimeNs">Last status change time.</param>
public readonly record struct FileStatus(FileKind Kind, uint Mode, uint Uid, uint Gid, long Size, long AllocatedBytes,
    ulong Inode, ulong Device, ulong LinkCount, ulong RDev, long AccessTimeNs, long ModifyTimeNs, long ChangeTimeNs);
