namespace Cairn.Platform;

/// <summary>An open regular file; reads and writes are plain syscalls on the descriptor, which is closed on dispose.</summary>
public sealed unsafe class PosixFile : IDisposable
{
    private readonly SafeFd _fd;
    private readonly byte[] _path;

    internal PosixFile(SafeFd fd, byte[] path)
    {
        _fd = fd;
        _path = path;
    }

    /// <summary>The path the file was opened by (for messages).</summary>
    public byte[] Path => _path;

    /// <summary>Reads at the current position; returns 0 at end of file.</summary>
    public int Read(Span<byte> buffer)
    {
        nint r;
        fixed (byte* p = buffer)
        {
            while (Sys.Interrupted(r = LibC.read(_fd, p, (nuint)buffer.Length)))
            {
            }
        }
        return r >= 0 ? (int)r : throw Error("read");
    }

    /// <summary>Reads at an offset without moving the position (pread); may return fewer bytes than asked, 0 at end of file.</summary>
    public int ReadAt(Span<byte> buffer, long offset)
    {
        nint r;
        fixed (byte* p = buffer)
        {
            while (Sys.Interrupted(r = LibC.pread(_fd, p, (nuint)buffer.Length, offset)))
            {
            }
        }
        return r >= 0 ? (int)r : throw Error("read");
    }

    /// <summary>Writes all of data at the current position. ENOSPC/EDQUOT give ExitCode.StorageFull.</summary>
    public void Write(ReadOnlySpan<byte> data) => WriteAll(data, -1);

    /// <summary>Writes all of data at an offset (pwrite). ENOSPC/EDQUOT give ExitCode.StorageFull.</summary>
    public void WriteAt(ReadOnlySpan<byte> data, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        WriteAll(data, offset);
    }

    /// <summary>Truncates or extends the file (extension leaves a hole, which is how a restore recreates sparse files).</summary>
    public void SetLength(long length)
    {
        int r;
        while (Sys.Interrupted(r = LibC.ftruncate(_fd, length)))
        {
        }
        if (r < 0)
        {
            throw Error("set length of");
        }
    }

    /// <summary>The status of the open file (what was actually opened, whatever the path points to now).</summary>
    public FileStatus Stat() => FdOps.Stat(_fd, _path);

    /// <summary>The first offset at or after offset that holds data, or -1 when only a hole follows (ENXIO).</summary>
    public long SeekData(long offset) => Seek(offset, LibC.SEEK_DATA);

    /// <summary>The first offset at or after offset that starts a hole (the end of file counts as one), or -1 past the end.</summary>
    public long SeekHole(long offset) => Seek(offset, LibC.SEEK_HOLE);

    /// <summary>Forces the file's data and metadata to disk (fsync).</summary>
    public void Flush()
    {
        int r;
        while (Sys.Interrupted(r = LibC.fsync(_fd)))
        {
        }
        if (r < 0)
        {
            throw Error("flush");
        }
    }

    /// <summary>Tells the kernel the file will be read start to end, so it reads ahead further. Advisory: errors are ignored.</summary>
    public void AdviseSequential() => _ = LibC.posix_fadvise(_fd, 0, 0, LibC.POSIX_FADV_SEQUENTIAL);

    /// <summary>Tells the kernel the file's cached pages are not needed again, so a backup does not evict hotter data. Advisory.</summary>
    public void AdviseDontNeed() => _ = LibC.posix_fadvise(_fd, 0, 0, LibC.POSIX_FADV_DONTNEED);

    /// <summary>Changes the owner (clears setuid/setgid: call SetMode after).</summary>
    public void SetOwner(uint uid, uint gid) => FdOps.SetOwner(_fd, _path, uid, gid);

    /// <summary>Sets permission, setuid, setgid and sticky bits.</summary>
    public void SetMode(uint mode) => FdOps.SetMode(_fd, _path, mode);

    /// <summary>Sets access and modification times to the nanosecond; do it after the last write.</summary>
    public void SetTimes(long accessTimeNs, long modifyTimeNs) => FdOps.SetTimes(_fd, _path, accessTimeNs, modifyTimeNs);

    /// <summary>All extended attributes of the file; empty when the filesystem has none.</summary>
    public List<KeyValuePair<byte[], byte[]>> ReadExtendedAttributes() => new ExtendedAttributes(_fd, _path).ReadAll();

    /// <summary>Sets one extended attribute of the file.</summary>
    public void WriteExtendedAttribute(ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value) =>
        new ExtendedAttributes(_fd, _path).Write(attribute, value);

    /// <summary>Closes the file.</summary>
    public void Dispose() => _fd.Dispose();

    /// <summary>Writes until everything is written: write(2) may stop short (signals, quotas near the limit).</summary>
    private void WriteAll(ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var count = (nuint)(data.Length - done);
                var r = offset < 0 ? LibC.write(_fd, p + done, count) : LibC.pwrite(_fd, p + done, count, offset + done);
                if (r < 0)
                {
                    if (LibC.LastErrno != Errno.EINTR)
                    {
                        throw Error("write");
                    }
                    continue;
                }
                done += (int)r;
            }
        }
    }

    private long Seek(long offset, int whence)
    {
        var r = LibC.lseek(_fd, offset, whence);
        if (r >= 0)
        {
            return r;
        }
        return LibC.LastErrno == Errno.ENXIO ? -1 : throw Error("seek in");
    }

    private PosixException Error(string operation) => Sys.Error(operation, _path, default);
}
