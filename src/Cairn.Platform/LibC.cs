using System.Runtime.InteropServices;

namespace Cairn.Platform;

/// <summary>The libc entry points this layer uses; every path is a NUL-terminated byte string.</summary>
internal static unsafe partial class LibC
{
    // "libc" is mapped by the .NET runtime to the real libc.so.6 on Linux.
    private const string Lib = "libc";

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int open(byte* path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int openat(SafeFd dirfd, byte* path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int close(nint fd);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int statx(SafeFd dirfd, byte* path, int flags, uint mask, StatxData* buffer);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint getdents64(SafeFd fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial long lseek(SafeFd fd, long offset, int whence);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint readlinkat(SafeFd dirfd, byte* path, byte* buffer, nuint size);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int mkdirat(SafeFd dirfd, byte* path, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int symlinkat(byte* target, SafeFd dirfd, byte* linkPath);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int linkat(SafeFd oldDirfd, byte* oldPath, SafeFd newDirfd, byte* newPath, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int renameat(SafeFd oldDirfd, byte* oldPath, SafeFd newDirfd, byte* newPath);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int mknodat(SafeFd dirfd, byte* path, uint mode, ulong dev);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fchownat(SafeFd dirfd, byte* path, uint uid, uint gid, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fchmodat(SafeFd dirfd, byte* path, uint mode, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int utimensat(SafeFd dirfd, byte* path, Timespec* times, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int unlinkat(SafeFd dirfd, byte* path, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fchown(SafeFd fd, uint uid, uint gid);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fchmod(SafeFd fd, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int futimens(SafeFd fd, Timespec* times);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint read(SafeFd fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint write(SafeFd fd, byte* buffer, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint pread(SafeFd fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint pwrite(SafeFd fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int ftruncate(SafeFd fd, long length);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fsync(SafeFd fd);

    // Returns the error number instead of setting errno.
    [LibraryImport(Lib)]
    internal static partial int posix_fadvise(SafeFd fd, long offset, long length, int advice);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint llistxattr(byte* path, byte* list, nuint size);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint lgetxattr(byte* path, byte* name, byte* value, nuint size);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint flistxattr(SafeFd fd, byte* list, nuint size);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial nint fgetxattr(SafeFd fd, byte* name, byte* value, nuint size);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int fsetxattr(SafeFd fd, byte* name, byte* value, nuint size, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial byte* getcwd(byte* buffer, nuint size);

    [LibraryImport(Lib)]
    internal static partial uint geteuid();

    [LibraryImport(Lib, SetLastError = true)]
    internal static partial int kill(int pid, int signal);

    // The *_r lookups return the error number; a null result with 0 means "no such entry".
    [LibraryImport(Lib)]
    internal static partial int getpwuid_r(uint uid, byte* pwd, byte* buffer, nuint size, byte** result);

    [LibraryImport(Lib)]
    internal static partial int getpwnam_r(byte* name, byte* pwd, byte* buffer, nuint size, byte** result);

    [LibraryImport(Lib)]
    internal static partial int getgrgid_r(uint gid, byte* grp, byte* buffer, nuint size, byte** result);

    [LibraryImport(Lib)]
    internal static partial int getgrnam_r(byte* name, byte* grp, byte* buffer, nuint size, byte** result);

    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOCTTY = 0x100;
    internal const int O_TRUNC = 0x200;
    internal const int O_NONBLOCK = 0x800;
    internal const int O_DIRECTORY = 0x10000;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int O_NOATIME = 0x40000;
    internal const int O_CLOEXEC = 0x80000;

    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_REMOVEDIR = 0x200;
    internal const int AT_EMPTY_PATH = 0x1000;

    internal const uint S_IFMT = 0xF000;
    internal const uint S_IFIFO = 0x1000;
    internal const uint S_IFCHR = 0x2000;
    internal const uint S_IFDIR = 0x4000;
    internal const uint S_IFBLK = 0x6000;
    internal const uint S_IFREG = 0x8000;
    internal const uint S_IFLNK = 0xA000;
    internal const uint S_IFSOCK = 0xC000;

    internal const int SEEK_SET = 0;
    internal const int SEEK_DATA = 3;
    internal const int SEEK_HOLE = 4;

    internal const int POSIX_FADV_SEQUENTIAL = 2;
    internal const int POSIX_FADV_DONTNEED = 4;

    internal const uint STATX_BASIC_STATS = 0x7ff;

    /// <summary>The errno of the last P/Invoke on this thread.</summary>
    internal static int LastErrno => Marshal.GetLastPInvokeError();
}

/// <summary>struct timespec on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Timespec
{
    public long Seconds;
    public long Nanoseconds;

    /// <summary>Splits nanoseconds since the epoch, flooring so that times before 1970 keep 0 &lt;= nsec &lt; 1e9.</summary>
    public static Timespec FromNanoseconds(long ns)
    {
        var seconds = Math.DivRem(ns, 1_000_000_000L, out var rest);
        if (rest < 0)
        {
            seconds--;
            rest += 1_000_000_000L;
        }
        return new Timespec { Seconds = seconds, Nanoseconds = rest };
    }
}
