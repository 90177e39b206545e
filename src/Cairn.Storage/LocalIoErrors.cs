namespace Cairn.Storage;

/// <summary>Turns .NET file-system exceptions into the storage error hierarchy.</summary>
/// <remarks>
/// On Linux the runtime raises FileNotFoundException/DirectoryNotFoundException for ENOENT and ENOTDIR,
/// UnauthorizedAccessException for EACCES, EPERM and EISDIR, and for every other errno a plain IOException whose
/// HResult is the raw errno (e.g. 28 for ENOSPC), not a Windows-style 0x8007xxxx code.
/// </remarks>
internal static class LocalIoErrors
{
    private const int Eintr = 4;
    private const int Eagain = 11;
    private const int Ebusy = 16;
    private const int Enospc = 28;
    private const int Erofs = 30;
    private const int Etimedout = 110;
    private const int Estale = 116;
    private const int Edquot = 122;

    /// <summary>True for the exceptions <see cref="Map"/> knows how to translate.</summary>
    public static bool IsIoError(Exception e) => e is IOException or UnauthorizedAccessException;

    /// <summary>Maps an I/O failure of <paramref name="operation"/> on <paramref name="name"/> stored at <paramref name="path"/>.</summary>
    public static StorageException Map(Exception e, string operation, BlobName name, string path, string root)
    {
        switch (e)
        {
            case FileNotFoundException or DirectoryNotFoundException:
                return new BlobNotFoundException(name, e);
            case UnauthorizedAccessException:
                return new StorageException(
                    $"permission denied to {operation} {name} at {path}: make the repository directory readable and writable by user '{Environment.UserName}'",
                    isTransient: false, e);
            case IOException { HResult: Enospc or Edquot }:
                return new StorageFullException(root, e);
            case IOException { HResult: Erofs }:
                return new StorageException($"cannot {operation} {name}: {root} is on a read-only file system; remount it read-write", isTransient: false, e);
            case IOException { HResult: Eintr or Eagain or Ebusy or Etimedout or Estale }:
                // Interrupted calls, busy files and NFS timeouts or stale handles typically clear on a retry.
                return new StorageException($"cannot {operation} {name} at {path}: {e.Message}", isTransient: true, e);
            default:
                return new StorageException($"cannot {operation} {name} at {path}: {e.Message}", isTransient: false, e);
        }
    }
}
