namespace Cairn.Platform;

/// <summary>Opening, creating and removing the entries of a directory.</summary>
public sealed partial class DirectoryHandle
{
    /// <summary>
    /// Opens a file for reading without following a symlink, with O_NOATIME where the caller owns the file (or is root),
    /// so a backup does not disturb access times. O_NONBLOCK keeps a FIFO swapped in by a race from hanging the open;
    /// callers should still check <see cref="PosixFile.Stat"/> says Regular.
    /// </summary>
    public PosixFile OpenFile(ReadOnlySpan<byte> name)
    {
        const int flags = LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NOCTTY | LibC.O_NONBLOCK;
        var fd = TryOpenAt(name, flags | LibC.O_NOATIME, 0);
        // O_NOATIME is refused with EPERM on files of other users unless we have CAP_FOWNER.
        if (fd < 0 && LibC.LastErrno == Errno.EPERM)
        {
            fd = TryOpenAt(name, flags, 0);
        }
        return fd >= 0 ? new PosixFile(new SafeFd(fd), PathBytes.Join(_path, name)) : throw Sys.Error("open", _path, name);
    }

    /// <summary>Creates (or truncates) a file for writing; mode is reduced by the umask, so set it afterwards if it matters.</summary>
    public PosixFile CreateFile(ReadOnlySpan<byte> name, uint mode)
    {
        var fd = OpenAt(name, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, mode & 0xFFFu, "create");
        return new PosixFile(new SafeFd(fd), PathBytes.Join(_path, name));
    }

    /// <summary>Opens an existing file for writing without truncating it; a symlink is an error.</summary>
    public PosixFile OpenFileForWrite(ReadOnlySpan<byte> name)
    {
        var fd = OpenAt(name, LibC.O_WRONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0, "open for writing");
        return new PosixFile(new SafeFd(fd), PathBytes.Join(_path, name));
    }

    /// <summary>Creates a subdirectory (mode reduced by the umask); an existing entry is an EEXIST error.</summary>
    public void CreateDirectory(ReadOnlySpan<byte> name, uint mode) => CreateDirectory(name, mode, ignoreExisting: false);

    /// <summary>Creates a subdirectory; with ignoreExisting, an existing directory (not a symlink to one) is accepted as is.</summary>
    public unsafe void CreateDirectory(ReadOnlySpan<byte> name, uint mode, bool ignoreExisting)
    {
        if (TryCall(name, mode & 0xFFFu, &MakeDirectory) < 0
            && !(ignoreExisting && LibC.LastErrno == Errno.EEXIST && Stat(name).Kind == FileKind.Directory))
        {
            throw Sys.Error("create directory", _path, name);
        }
    }

    /// <summary>Creates a symlink with the given target bytes (not checked or resolved).</summary>
    public unsafe void CreateSymlink(ReadOnlySpan<byte> name, ReadOnlySpan<byte> target)
    {
        if (TryCall(name, target, 0, &Symlink) < 0)
        {
            throw Sys.Error("create symlink", _path, name, "to " + PathBytes.ToDisplay(target));
        }
    }

    /// <summary>Creates a hard link to an existing entry (not following it if it is a symlink).</summary>
    public unsafe void CreateHardLink(ReadOnlySpan<byte> name, DirectoryHandle existingDirectory, ReadOnlySpan<byte> existingName)
    {
        ArgumentNullException.ThrowIfNull(existingDirectory);
        if (TryCall(name, existingName, existingDirectory._fd, &Link) < 0)
        {
            throw Sys.Error("create hard link", _path, name,
                "to " + PathBytes.ToDisplay(PathBytes.Join(existingDirectory._path, existingName)));
        }
    }

    /// <summary>Creates a named pipe.</summary>
    public void CreateFifo(ReadOnlySpan<byte> name, uint mode) => MakeNode(name, LibC.S_IFIFO | (mode & 0xFFFu), 0, "create fifo");

    /// <summary>Creates a character or block device node; rdev uses the glibc makedev encoding (<see cref="DeviceNumber.Make"/>).</summary>
    public void CreateDevice(ReadOnlySpan<byte> name, FileKind kind, uint mode, ulong rdev)
    {
        if (kind is not (FileKind.CharDevice or FileKind.BlockDevice))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "a device node is a CharDevice or a BlockDevice");
        }
        MakeNode(name, StatxData.TypeBits(kind) | (mode & 0xFFFu), rdev, "create device");
    }

    /// <summary>Renames an entry, replacing an existing target as rename(2) does.</summary>
    public unsafe void Rename(ReadOnlySpan<byte> name, DirectoryHandle newDirectory, ReadOnlySpan<byte> newName)
    {
        ArgumentNullException.ThrowIfNull(newDirectory);
        if (TryCall(name, newName, newDirectory._fd, &RenameAt) < 0)
        {
            throw Sys.Error("rename", _path, name, "to " + PathBytes.ToDisplay(PathBytes.Join(newDirectory._path, newName)));
        }
    }

    /// <summary>Removes a non-directory entry (a symlink itself, never its target).</summary>
    public void Delete(ReadOnlySpan<byte> name) => Unlink(name, 0, "delete");

    /// <summary>Removes an empty subdirectory.</summary>
    public void DeleteDirectory(ReadOnlySpan<byte> name) => Unlink(name, LibC.AT_REMOVEDIR, "delete directory");

    /// <summary>Removes an entry and, if it is a directory, everything below it (symlinks are removed, not followed).</summary>
    public void DeleteTree(ReadOnlySpan<byte> name)
    {
        if (Stat(name).Kind != FileKind.Directory)
        {
            Delete(name);
            return;
        }
        using (var child = OpenDirectory(name))
        {
            foreach (var entry in child.ReadNames())
            {
                child.DeleteTree(entry);
            }
        }
        DeleteDirectory(name);
    }

    private unsafe void Unlink(ReadOnlySpan<byte> name, int flags, string operation) => Call(name, flags, &UnlinkAt, operation);

    private unsafe void MakeNode(ReadOnlySpan<byte> name, uint mode, ulong rdev, string operation) =>
        Call(name, (mode, rdev), &MakeNodeAt, operation);

    private static unsafe int MakeDirectory(SafeFd fd, byte* name, uint mode) => LibC.mkdirat(fd, name, mode);

    private static unsafe int Symlink(SafeFd fd, byte* name, byte* target, int none) => LibC.symlinkat(target, fd, name);

    private static unsafe int Link(SafeFd fd, byte* name, byte* existingName, SafeFd existingDirectory) =>
        LibC.linkat(existingDirectory, existingName, fd, name, 0);

    private static unsafe int RenameAt(SafeFd fd, byte* name, byte* newName, SafeFd newDirectory) =>
        LibC.renameat(fd, name, newDirectory, newName);

    private static unsafe int UnlinkAt(SafeFd fd, byte* name, int flags) => LibC.unlinkat(fd, name, flags);

    private static unsafe int MakeNodeAt(SafeFd fd, byte* name, (uint Mode, ulong Rdev) s) => LibC.mknodat(fd, name, s.Mode, s.Rdev);
}
