using System.Buffers;

namespace Cairn.Platform;

/// <summary>
/// Reads and writes extended attributes either through an open descriptor (f*xattr) or through a path without
/// following a final symlink (l*xattr). There are no *at variants, so entries of a directory handle are reached as
/// "/proc/self/fd/N/name", which stays short however deep the real directory is.
/// </summary>
internal readonly unsafe ref struct ExtendedAttributes
{
    private readonly SafeFd? _fd;
    private readonly byte* _path;
    private readonly byte[] _displayDirectory;
    private readonly ReadOnlySpan<byte> _displayName;

    /// <summary>Attributes of the open descriptor itself.</summary>
    public ExtendedAttributes(SafeFd fd, byte[] displayPath)
    {
        _fd = fd;
        _displayDirectory = displayPath;
    }

    /// <summary>Attributes of the entry at a NUL-terminated path (pinned by the caller), not following a final symlink.</summary>
    public ExtendedAttributes(byte* path, byte[] displayDirectory, ReadOnlySpan<byte> displayName)
    {
        _path = path;
        _displayDirectory = displayDirectory;
        _displayName = displayName;
    }

    public List<KeyValuePair<byte[], byte[]>> ReadAll()
    {
        var result = new List<KeyValuePair<byte[], byte[]>>();
        var names = ListNames();
        if (names is null)
        {
            return result;
        }
        var start = 0;
        for (var i = 0; i < names.Length; i++)
        {
            if (names[i] != 0)
            {
                continue;
            }
            if (i > start)
            {
                var name = names.AsSpan(start, i - start);
                var value = Get(name);
                // An attribute removed between list and get is simply not there any more.
                if (value is not null)
                {
                    result.Add(new(name.ToArray(), value));
                }
            }
            start = i + 1;
        }
        return result;
    }

    public void Write(ReadOnlySpan<byte> attribute, ReadOnlySpan<byte> value)
    {
        using var cName = new CString(attribute, stackalloc byte[CString.StackSize]);
        int r;
        fixed (byte* pName = cName)
        fixed (byte* pValue = value)
        {
            while (Sys.Interrupted(r = _fd is not null
                ? LibC.fsetxattr(_fd, pName, pValue, (nuint)value.Length, 0)
                : LibC.lsetxattr(_path, pName, pValue, (nuint)value.Length, 0)))
            {
            }
        }
        if (r < 0)
        {
            throw Sys.Error("write extended attribute " + PathBytes.ToDisplay(attribute) + " of", _displayDirectory, _displayName);
        }
    }

    /// <summary>The NUL-separated attribute names, or null when there are none or the filesystem has no xattrs.</summary>
    private byte[]? ListNames()
    {
        while (true)
        {
            var size = List(null, 0);
            if (size < 0)
            {
                return LibC.LastErrno == Errno.EOPNOTSUPP ? null : throw Sys.Error("list extended attributes of", _displayDirectory, _displayName);
            }
            if (size == 0)
            {
                return null;
            }
            var buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                var got = List(p, (nuint)size);
                if (got >= 0)
                {
                    return got == size ? buffer : buffer[..(int)got];
                }
            }
            // ERANGE: attributes were added since the size query; ask again.
            if (LibC.LastErrno != Errno.ERANGE)
            {
                throw Sys.Error("list extended attributes of", _displayDirectory, _displayName);
            }
        }
    }

    private long List(byte* buffer, nuint size)
    {
        nint r;
        while (Sys.Interrupted(r = _fd is not null ? LibC.flistxattr(_fd, buffer, size) : LibC.llistxattr(_path, buffer, size)))
        {
        }
        return r;
    }

    private byte[]? Get(ReadOnlySpan<byte> attribute)
    {
        using var cName = new CString(attribute, stackalloc byte[CString.StackSize]);
        fixed (byte* pName = cName)
        {
            var size = 256;
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(size);
                try
                {
                    nint r;
                    fixed (byte* p = buffer)
                    {
                        while (Sys.Interrupted(r = _fd is not null
                            ? LibC.fgetxattr(_fd, pName, p, (nuint)buffer.Length)
                            : LibC.lgetxattr(_path, pName, p, (nuint)buffer.Length)))
                        {
                        }
                    }
                    if (r >= 0)
                    {
                        return buffer.AsSpan(0, (int)r).ToArray();
                    }
                    var errno = LibC.LastErrno;
                    if (errno == Errno.ENODATA)
                    {
                        return null;
                    }
                    if (errno != Errno.ERANGE || size >= 1 << 24)
                    {
                        throw Sys.Error("read extended attribute " + PathBytes.ToDisplay(attribute) + " of", _displayDirectory, _displayName);
                    }
                    size = buffer.Length * 4;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }
}
