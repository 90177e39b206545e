using System.Runtime.InteropServices;

namespace Cairn.Storage;

/// <summary>Flushes a directory's entries to disk, which .NET has no API for.</summary>
internal static partial class DirectorySync
{
    // O_RDONLY | O_CLOEXEC; both values are the same on x64 and arm64 Linux (O_DIRECTORY is not, so it is left out).
    private const int OpenFlags = 0x80000;

    /// <summary>
    /// fsyncs <paramref name="directory"/> so a rename or a new entry inside it survives a power loss;
    /// without this a crash can lose a blob whose put already returned.
    /// </summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return; // Windows commits renames with the file's metadata; there is no directory handle to flush.
        }

        var fd = Open(directory, OpenFlags);
        if (fd < 0)
        {
            throw ErrnoException(directory);
        }

        try
        {
            // Some filesystems (certain FUSE and network mounts) refuse fsync on a directory with EINVAL;
            // the rename is already as durable as they can make it, so that is not an error.
            if (FSync(fd) != 0 && Marshal.GetLastPInvokeError() != Einval)
            {
                throw ErrnoException(directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const int Einval = 22;

    // Same shape as the runtime's own errors for unmapped errno values: an IOException whose HResult is the errno.
    private static IOException ErrnoException(string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{Marshal.GetPInvokeErrorMessage(errno)} : '{path}'", errno);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
