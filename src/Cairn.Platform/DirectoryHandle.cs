using System.Buffers;
using System.Buffers.Binary;

namespace Cairn.Platform;

/// <summary>
/// An open directory (O_RDONLY|O_DIRECTORY|O_CLOEXEC) whose entries are reached with the *at() syscalls, so names are
/// raw bytes and no path length limit applies. Every method is safe to call from several threads at once.
/// A "name" argument is normally one component; a relative path below the directory also works if under 4096 bytes.
/// </summary>
public sealed partial class DirectoryHandle : IDisposable
{
    private const int DirectoryFlags = LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC;
    // PATH_MAX including the NUL: longer paths must be opened a component at a time.
    private const int PathMax = 4096;

    private readonly SafeFd _fd;
    private readonly byte[] _path;
    // getdents64 reads from the descriptor's shared position, so listings of one handle take turns.
    private readonly Lock _listLock = new();

    private DirectoryHandle(SafeFd fd, byte[] path)
    {
        _fd = fd;
        _path = path;
    }

    /// <summary>The path this directory was opened with (for messages; it may have moved since).</summary>
    public byte[] Path => _path;

    /// <summary>Opens a directory by path of any length; with followSymlinks false, a final symlink is an error (ELOOP/ENOTDIR).</summary>
    public static unsafe DirectoryHandle Open(ReadOnlySpan<byte> path, bool followSymlinks = true)
    {
        var flags = DirectoryFlags | (followSymlinks ? 0 : LibC.O_NOFOLLOW);
        if (path.Length < PathMax)
        {
            int fd;
            using (var cPath = new CString(path, stackalloc byte[CString.StackSize]))
            {
                fixed (byte* p = cPath)
                {
                    while (Sys.Interrupted(fd = LibC.open(p, flags, 0)))
                    {
                    }
                }
            }
            if (fd >= 0)
            {
                return new DirectoryHandle(new SafeFd(fd), path.ToArray());
            }
            if (LibC.LastErrno != Errno.ENAMETOOLONG)
            {
                throw Sys.Error("open directory", path, default);
            }
        }
        return OpenByComponents(path, flags);
    }

    /// <summary>Opens a directory by a path given as a string (UTF-8), following symlinks.</summary>
    public static DirectoryHandle Open(string path) => Open(PathBytes.FromString(path));

    /// <summary>Opens the parent directory of a path and returns the last component, to act on an entry given by full path.</summary>
    public static DirectoryHandle OpenParent(ReadOnlySpan<byte> path, out byte[] name)
    {
        var normalized = PathBytes.Normalize(path);
        name = PathBytes.FileName(normalized).ToArray();
        if (name.Length == 0 || (name.Length == 1 && name[0] == (byte)'.') || (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.'))
        {
            throw new ArgumentException($"{PathBytes.ToDisplay(path)} has no last component to act on", nameof(path));
        }
        return Open(PathBytes.Parent(normalized));
    }

    /// <summary>Opens a subdirectory; a symlink is an error, so a walk never leaves the tree.</summary>
    public unsafe DirectoryHandle OpenDirectory(ReadOnlySpan<byte> name)
    {
        var fd = OpenAt(name, DirectoryFlags | LibC.O_NOFOLLOW, 0, "open directory");
        return new DirectoryHandle(new SafeFd(fd), PathBytes.Join(_path, name));
    }

    /// <summary>The status of this directory itself.</summary>
    public FileStatus StatSelf() => FdOps.Stat(_fd, _path);

    /// <summary>The status of an entry, not following a final symlink.</summary>
    public unsafe FileStatus Stat(ReadOnlySpan<byte> name)
    {
        StatxData data;
        Call(name, (nint)(&data), &StatAt, "stat");
        return data.ToFileStatus();
    }

    private static unsafe int StatAt(SafeFd fd, byte* name, nint data) =>
        LibC.statx(fd, name, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, (StatxData*)data);

    /// <summary>The names of the entries, except "." and "..", in directory order (unsorted).</summary>
    public unsafe List<byte[]> ReadNames()
    {
        var names = new List<byte[]>();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            lock (_listLock)
            {
                if (LibC.lseek(_fd, 0, LibC.SEEK_SET) < 0)
                {
                    throw Sys.Error("list", _path, default);
                }
                while (true)
                {
                    nint got;
                    fixed (byte* p = buffer)
                    {
                        while (Sys.Interrupted(got = LibC.getdents64(_fd, p, (nuint)buffer.Length)))
                        {
                        }
                    }
                    if (got < 0)
                    {
                        throw Sys.Error("list", _path, default);
                    }
                    if (got == 0)
                    {
                        return names;
                    }
                    AddNames(buffer.AsSpan(0, (int)got), names);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The target of a symlink, exactly as stored, of any length.</summary>
    public unsafe byte[] ReadLink(ReadOnlySpan<byte> name)
    {
        using var cName = new CString(name, stackalloc byte[CString.StackSize]);
        fixed (byte* pName = cName)
        {
            for (var size = 256; ; size *= 4)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    nint r;
                    fixed (byte* p = buffer)
                    {
                        while (Sys.Interrupted(r = LibC.readlinkat(_fd, pName, p, (nuint)buffer.Length)))
                        {
                        }
                    }
                    if (r < 0)
                    {
                        throw Sys.Error("read link", _path, name);
                    }
                    // A full buffer may mean a truncated target: only a shorter result is known to be whole.
                    if (r < buffer.Length)
                    {
                        return buffer.AsSpan(0, (int)r).ToArray();
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    /// <summary>Closes the directory.</summary>
    public void Dispose() => _fd.Dispose();

    private static void AddNames(ReadOnlySpan<byte> records, List<byte[]> names)
    {
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        while (!records.IsEmpty)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(records[16..]);
            var name = records[19..length];
            name = name[..name.IndexOf((byte)0)];
            if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8))
            {
                names.Add(name.ToArray());
            }
            records = records[length..];
        }
    }

    private static unsafe DirectoryHandle OpenByComponents(ReadOnlySpan<byte> path, int finalFlags)
    {
        var parts = PathBytes.Split(path);
        var current = Open(PathBytes.IsAbsolute(path) ? "/"u8 : "."u8);
        Span<byte> scratch = stackalloc byte[CString.StackSize];
        try
        {
            for (var i = 0; i < parts.Count; i++)
            {
                // Intermediate components follow symlinks, as the kernel would for the whole path.
                var flags = i == parts.Count - 1 ? finalFlags : DirectoryFlags;
                int fd;
                using (var cName = new CString(parts[i], scratch))
                {
                    fixed (byte* p = cName)
                    {
                        while (Sys.Interrupted(fd = LibC.openat(current._fd, p, flags, 0)))
                        {
                        }
                    }
                }
                if (fd < 0)
                {
                    throw Sys.Error("open directory", path, default);
                }
                current.Dispose();
                current = new DirectoryHandle(new SafeFd(fd), []);
            }
            return new DirectoryHandle(current._fd, path.ToArray());
        }
        catch
        {
            current.Dispose();
            throw;
        }
    }
}
