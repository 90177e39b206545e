namespace Cairn.Platform;

/// <summary>Ownership, permissions, times and extended attributes of entries, and of the directory itself.</summary>
public sealed partial class DirectoryHandle
{
    /// <summary>Changes the owner of an entry, not following symlinks. Note chown clears setuid/setgid: call SetMode after.</summary>
    public unsafe void SetOwner(ReadOnlySpan<byte> name, uint uid, uint gid) => Call(name, (uid, gid), &ChangeOwner, "change owner of");

    /// <summary>
    /// Sets permission, setuid, setgid and sticky bits (mode &amp; 07777), not following symlinks. Linux symlinks have no
    /// mode of their own: for a symlink this throws PosixException with Errno EOPNOTSUPP, so callers skip symlinks.
    /// </summary>
    public unsafe void SetMode(ReadOnlySpan<byte> name, uint mode) => Call(name, mode & 0xFFFu, &ChangeMode, "change mode of");

    /// <summary>Sets access and modification times to the nanosecond, not following symlinks (a symlink's own times are set).</summary>
    public unsafe void SetTimes(ReadOnlySpan<byte> name, long accessTimeNs, long modifyTimeNs) =>
        Call(name, (Timespec.FromNanoseconds(accessTimeNs), Timespec.FromNanoseconds(modifyTimeNs)), &SetTimesAt, "set times of");

    /// <summary>Changes the owner of this directory (chown clears setgid: call SetModeSelf after).</summary>
    public void SetOwnerSelf(uint uid, uint gid) => FdOps.SetOwner(_fd, _path, uid, gid);

    /// <summary>Sets the permission, setuid, setgid and sticky bits of this directory.</summary>
    public void SetModeSelf(uint mode) => FdOps.SetMode(_fd, _path, mode);

    /// <summary>Sets the access and modification times of this directory; do it last, after its entries are written.</summary>
    public void SetTimesSelf(long accessTimeNs, long modifyTimeNs) => FdOps.SetTimes(_fd, _path, accessTimeNs, modifyTimeNs);

    /// <summary>All extended attributes of an entry (not following symlinks); empty when the filesystem has none.</summary>
    public unsafe List<KeyValuePair<byte[], byte[]>> ReadExtendedAttributes(ReadOnlySpan<byte> name)
    {
        using var lease = new FdLease(_fd);
        using var cPath = ProcPath(lease.Fd, name, stackalloc byte[CString.StackSize]);
        fixed (byte* p = cPath)
        {
            return new ExtendedAttributes(p, _path, name).ReadAll();
        }
    }

    /// <summary>Sets one extended attribute of an entry (not following symlinks); Linux refuses user.* on symlinks (EPERM).</summary>
    public unsafe void WriteExtendedAttribute(ReadOnlySpan<byte> name, ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value)
    {
        using var lease = new FdLease(_fd);
        using var cPath = ProcPath(lease.Fd, name, stackalloc byte[CString.StackSize]);
        fixed (byte* p = cPath)
        {
            new ExtendedAttributes(p, _path, name).Write(attribute, value);
        }
    }

    /// <summary>All extended attributes of this directory; empty when the filesystem has none.</summary>
    public List<KeyValuePair<byte[], byte[]>> ReadExtendedAttributesSelf() => new ExtendedAttributes(_fd, _path).ReadAll();

    /// <summary>Sets one extended attribute of this directory.</summary>
    public void WriteExtendedAttributeSelf(ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value) =>
        new ExtendedAttributes(_fd, _path).Write(attribute, value);

    private static unsafe int ChangeOwner(SafeFd fd, byte* name, (uint Uid, uint Gid) s) =>
        LibC.fchownat(fd, name, s.Uid, s.Gid, LibC.AT_SYMLINK_NOFOLLOW);

    // glibc implements the no-follow fchmodat through /proc and fails with EOPNOTSUPP on a symlink.
    private static unsafe int ChangeMode(SafeFd fd, byte* name, uint mode) => LibC.fchmodat(fd, name, mode, LibC.AT_SYMLINK_NOFOLLOW);

    private static unsafe int SetTimesAt(SafeFd fd, byte* name, (Timespec Access, Timespec Modify) s)
    {
        var times = stackalloc Timespec[2] { s.Access, s.Modify };
        return LibC.utimensat(fd, name, times, LibC.AT_SYMLINK_NOFOLLOW);
    }

    /// <summary>"/proc/self/fd/N/name", NUL-terminated: a short path to an entry however deep its directory is.</summary>
    private static CString ProcPath(int fd, ReadOnlySpan<byte> name, Span<byte> scratch)
    {
        Span<byte> prefix = stackalloc byte[32];
        "/proc/self/fd/"u8.CopyTo(prefix);
        fd.TryFormat(prefix[14..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        prefix[14 + digits] = (byte)'/';
        return new CString(prefix[..(15 + digits)], name, scratch);
    }
}
