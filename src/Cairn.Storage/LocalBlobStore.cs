using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Cairn.Storage;

/// <summary>A blob store in a directory on local disk or NFS: the embedded default.</summary>
public sealed class LocalBlobStore : IBlobStore
{
    internal const string TempPrefix = ".tmp-";

    // Repository data is private to its owner, whatever the umask says about group and others.
    internal const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _root;

    /// <summary>Opens the store rooted at <paramref name="rootDirectory"/>; the directory is created by the first put.</summary>
    public LocalBlobStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        _root = Path.GetFullPath(rootDirectory);
    }

    /// <inheritdoc/>
    public string Location => _root;

    /// <inheritdoc/>
    public async Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        var directory = Path.GetDirectoryName(path)!;
        var tempPath = Path.Combine(directory, TempPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        try
        {
            await WriteTempFileAsync(tempPath, data, cancellationToken).ConfigureAwait(false);
            CrashPoints.Reached(CrashPoints.PutTempWritten);
            // rename(2) replaces the final name atomically, so readers see the old blob or the whole new one.
            File.Move(tempPath, path, overwrite: true);
            DirectorySync.Flush(directory);
        }
        catch (Exception e)
        {
            TryDelete(tempPath);
            if (LocalIoErrors.IsIoError(e))
            {
                throw LocalIoErrors.Map(e, "write", name, path, _root);
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        try
        {
            using var handle = File.OpenHandle(path, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            var length = RandomAccess.GetLength(handle);
            if (length > Array.MaxLength)
            {
                throw new StorageException($"{name} at {path} is {length} bytes, too large to read whole", isTransient: false);
            }

            var data = new byte[length];
            var read = await ReadFullyAsync(handle, 0, data, cancellationToken).ConfigureAwait(false);
            if (read != length)
            {
                // Blobs are immutable, so a file that shrank under us was replaced or truncated by someone else.
                throw new StorageException($"{name} at {path} changed while being read ({read} of {length} bytes)", isTransient: true);
            }

            return data;
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "read", name, path, _root);
        }
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        try
        {
            using var handle = File.OpenHandle(path, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
            var read = await ReadFullyAsync(handle, offset, destination, cancellationToken).ConfigureAwait(false);
            if (read != destination.Length)
            {
                throw new StorageException(
                    $"{name} at {path} is too short: wanted {destination.Length} bytes at offset {offset}, got {read}", isTransient: false);
            }
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "read", name, path, _root);
        }
    }

    /// <inheritdoc/>
    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? Task.FromResult(new BlobInfo(name, info.Length)) : throw new BlobNotFoundException(name);
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "stat", name, path, _root);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (kind == BlobKind.Config)
        {
            var info = new FileInfo(Path.Combine(_root, "config"));
            if (info.Exists)
            {
                yield return new BlobInfo(BlobName.Config, info.Length);
            }

            yield break;
        }

        // A directory's parent is the kind's folder; for packs it is data/ and the files sit one level down.
        var folder = Path.Combine(_root, Path.GetDirectoryName(new BlobName(kind, "00").Path)!);
        if (kind == BlobKind.Pack)
        {
            folder = Path.GetDirectoryName(folder)!;
        }

        using var enumerator = OpenListing(kind, folder);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BlobInfo current;
            try
            {
                if (enumerator is null || !enumerator.MoveNext())
                {
                    yield break;
                }

                current = enumerator.Current;
            }
            catch (Exception e) when (LocalIoErrors.IsIoError(e))
            {
                throw ListError(e, kind, folder);
            }

            yield return current;
        }
    }

    /// <inheritdoc/>
    public IBlobWriter CreateWriter(BlobKind kind) => new LocalBlobWriter(_root, kind);

    /// <inheritdoc/>
    public Task<AbandonedWrites> DeleteAbandonedWritesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        int files = 0;
        long bytes = 0;
        if (!Directory.Exists(_root)) return Task.FromResult(new AbandonedWrites(0, 0));
        var cutoff = DateTime.UtcNow - olderThan;
        try
        {
            // Temp files sit next to their final names: in the root, a kind's folder, data/ or data/xx/.
            var options = new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2, AttributesToSkip = 0 };
            foreach (var file in new DirectoryInfo(_root).EnumerateFiles(TempPrefix + "*", options))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (file.LastWriteTimeUtc >= cutoff) continue;
                long length = file.Length;
                file.Delete();
                files++;
                bytes += length;
            }
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "delete", new BlobName(BlobKind.Pack, "tmp"), _root, _root);
        }
        return Task.FromResult(new AbandonedWrites(files, bytes));
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        try
        {
            // File.Delete already ignores a missing file; a missing parent directory is just as absent.
            File.Delete(path);
            DirectorySync.Flush(Path.GetDirectoryName(path)!);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "delete", name, path, _root);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string PathOf(BlobName name)
    {
        BlobNameRules.ThrowIfInvalid(name);
        return Path.Combine(_root, name.Path);
    }

    private async Task WriteTempFileAsync(string tempPath, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0, // one write of the caller's buffer; a FileStream buffer would only copy it
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(tempPath, options);
        }
        catch (DirectoryNotFoundException)
        {
            // Folders are made on first use rather than at init, so data/00..ff only exist once they hold a pack.
            CreateDirectories(Path.GetDirectoryName(tempPath)!);
            stream = new FileStream(tempPath, options);
        }

        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
    }

    // Creates each missing folder with owner-only permissions and fsyncs its parent so the new entry is durable too.
    internal static void CreateDirectories(string directory)
    {
        var missing = new Stack<string>();
        for (var d = directory; !Directory.Exists(d); d = Path.GetDirectoryName(d)!)
        {
            missing.Push(d);
        }

        while (missing.TryPop(out var d))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(d);
            }
            else
            {
                Directory.CreateDirectory(d, DirectoryMode);
            }

            DirectorySync.Flush(Path.GetDirectoryName(d)!);
        }
    }

    // Null when the folder does not exist. The enumerable opens the folder as soon as it is constructed.
    private IEnumerator<BlobInfo>? OpenListing(BlobKind kind, string folder)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = kind == BlobKind.Pack,
            MaxRecursionDepth = 1,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
        };
        try
        {
            var entries = new FileSystemEnumerable<BlobInfo>(
                folder,
                (ref FileSystemEntry entry) => new BlobInfo(new BlobName(kind, entry.FileName.ToString()), entry.Length),
                options)
            {
                // Packs sit in data/xx/, so a file directly in data/ is not one; temp files are puts in progress.
                ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory
                    && !entry.FileName.StartsWith(TempPrefix, StringComparison.Ordinal)
                    && (kind != BlobKind.Pack || entry.Directory.Length > folder.Length),
            };
            return entries.GetEnumerator();
        }
        catch (DirectoryNotFoundException)
        {
            return null; // nothing of this kind was ever written
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw ListError(e, kind, folder);
        }
    }

    private StorageException ListError(Exception e, BlobKind kind, string folder) =>
        LocalIoErrors.Map(e, "list", new BlobName(kind, "*"), folder, _root);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            // The original failure is the one worth reporting; a leftover temp file is skipped by listings.
        }
    }

    private static async Task<int> ReadFullyAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
