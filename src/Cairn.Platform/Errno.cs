namespace Cairn.Platform;

/// <summary>Linux errno values (x86_64 and the generic ABI agree on these) that callers commonly test for.</summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;
    /// <summary>No such process.</summary>
    public const int ESRCH = 3;
    /// <summary>Interrupted system call; retried internally, never surfaced.</summary>
    public const int EINTR = 4;
    /// <summary>Input/output error.</summary>
    public const int EIO = 5;
    /// <summary>No such device or address; from lseek SEEK_DATA/SEEK_HOLE past the end of data.</summary>
    public const int ENXIO = 6;
    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;
    /// <summary>File exists.</summary>
    public const int EEXIST = 17;
    /// <summary>Cross-device link.</summary>
    public const int EXDEV = 18;
    /// <summary>Not a directory.</summary>
    public const int ENOTDIR = 20;
    /// <summary>Is a directory.</summary>
    public const int EISDIR = 21;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>No space left on device.</summary>
    public const int ENOSPC = 28;
    /// <summary>Read-only filesystem.</summary>
    public const int EROFS = 30;
    /// <summary>Result too large for the buffer (xattr and passwd lookups grow their buffer and retry).</summary>
    public const int ERANGE = 34;
    /// <summary>File name too long.</summary>
    public const int ENAMETOOLONG = 36;
    /// <summary>Directory not empty.</summary>
    public const int ENOTEMPTY = 39;
    /// <summary>Too many levels of symbolic links, or O_NOFOLLOW met a symlink.</summary>
    public const int ELOOP = 40;
    /// <summary>No such extended attribute.</summary>
    public const int ENODATA = 61;
    /// <summary>Operation not supported (same value as ENOTSUP on Linux).</summary>
    public const int EOPNOTSUPP = 95;
    /// <summary>Operation not supported (same value as EOPNOTSUPP on Linux).</summary>
    public const int ENOTSUP = EOPNOTSUPP;
    /// <summary>Disk quota exceeded.</summary>
    public const int EDQUOT = 122;

    /// <summary>True for the errors that mean the storage is full (ENOSPC, EDQUOT).</summary>
    public static bool IsStorageFull(int errno) => errno is ENOSPC or EDQUOT;

    /// <summary>True for "does not exist" errors.</summary>
    public static bool IsNotFound(int errno) => errno == ENOENT;

    /// <summary>True for permission errors (EACCES, EPERM).</summary>
    public static bool IsPermissionDenied(int errno) => errno is EACCES or EPERM;

    /// <summary>True when the filesystem does not support the operation (ENOTSUP/EOPNOTSUPP).</summary>
    public static bool IsNotSupported(int errno) => errno == EOPNOTSUPP;
}
