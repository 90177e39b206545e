namespace Cairn.Platform;

/// <summary>Metadata operations on an open descriptor, shared by <see cref="DirectoryHandle"/> (on itself) and <see cref="PosixFile"/>.</summary>
internal static unsafe class FdOps
{
    public static FileStatus Stat(SafeFd fd, byte[] path)
    {
        StatxData data;
        byte empty = 0;
        int r;
        while (Sys.Interrupted(r = LibC.statx(fd, &empty, LibC.AT_EMPTY_PATH | LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, &data)))
        {
        }
        if (r < 0)
        {
            throw Sys.Error("stat", path, default);
        }
        return data.ToFileStatus();
    }

    public static void SetOwner(SafeFd fd, byte[] path, uint uid, uint gid)
    {
        int r;
        while (Sys.Interrupted(r = LibC.fchown(fd, uid, gid)))
        {
        }
        if (r < 0)
        {
            throw Sys.Error("change owner of", path, default);
        }
    }

    public static void SetMode(SafeFd fd, byte[] path, uint mode)
    {
        int r;
        while (Sys.Interrupted(r = LibC.fchmod(fd, mode & 0xFFFu)))
        {
        }
        if (r < 0)
        {
            throw Sys.Error("change mode of", path, default);
        }
    }

    public static void SetTimes(SafeFd fd, byte[] path, long accessTimeNs, long modifyTimeNs)
    {
        var times = stackalloc Timespec[2];
        times[0] = Timespec.FromNanoseconds(accessTimeNs);
        times[1] = Timespec.FromNanoseconds(modifyTimeNs);
        int r;
        while (Sys.Interrupted(r = LibC.futimens(fd, times)))
        {
        }
        if (r < 0)
        {
            throw Sys.Error("set times of", path, default);
        }
    }
}
