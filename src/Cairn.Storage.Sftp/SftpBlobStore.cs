using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Renci.SshNet.Common;

namespace Cairn.Storage.Sftp;

/// <summary>
/// A blob store in a directory on an SSH server, over SFTP (SSH.NET): the repository layout is the local store's
/// (config, keys/, data/xx/, index/, snapshots/, locks/), so a repository can be copied between disk and server as is.
/// </summary>
/// <remarks>
/// Puts upload to a temporary name (".tmp-…") in the blob's own folder and then rename it over the final name with
/// OpenSSH's posix-rename extension, so readers never see a partial blob and a replaced blob changes atomically.
/// Folders are created on first use. Nothing is contacted until the first operation; the first one also checks that
/// the repository's directory exists (<see cref="StorageLocationNotFoundException"/> if not, except through
/// <see cref="CreateContainerIfMissingAsync"/>, which init calls).
/// </remarks>
public sealed class SftpBlobStore : IBlobStore, IContainerStore
{
    private const string TempPrefix = ".tmp-";

    private readonly SftpStoreOptions _options;
    private readonly SftpConnector _connector;
    private readonly SftpSessionPool _pool;
    private readonly string _base;
    private volatile bool _baseExists;

    /// <summary>A store for <paramref name="options"/>; connects on first use.</summary>
    public SftpBlobStore(SftpStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _connector = new SftpConnector(options);
        _pool = new SftpSessionPool(options.Transfer.Connections, _connector.ConnectAsync);
        _base = options.Location.Path;
    }

    /// <inheritdoc/>
    public string Location => _options.Location.ToString();

    /// <inheritdoc/>
    public async Task CreateContainerIfMissingAsync(CancellationToken cancellationToken)
    {
        await RunAsync("create the directory", _base, async session =>
        {
            await CreateDirectoriesAsync(session, _base, stopAtBase: false, cancellationToken).ConfigureAwait(false);
            _baseExists = true;
            return 0;
        }, cancellationToken, checkBase: false).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var stream = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        return PutAsync(name, stream, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        var start = content.Position;
        var folder = path[..path.LastIndexOf('/')];
        await RunAsync("write", path, async session =>
        {
            var temp = folder + "/" + TempPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            content.Position = start;
            try
            {
                try
                {
                    await UploadAsync(session, content, temp, cancellationToken).ConfigureAwait(false);
                }
                catch (SftpPathNotFoundException)
                {
                    // Folders are made on first use, as on local disk: data/xx only exists once it holds a pack.
                    await CreateDirectoriesAsync(session, folder, stopAtBase: true, cancellationToken).ConfigureAwait(false);
                    content.Position = start;
                    await UploadAsync(session, content, temp, cancellationToken).ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                Rename(session, temp, path);
            }
            catch
            {
                TryDelete(session, temp);
                throw;
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        return await RunReadAsync(name, path, async session =>
        {
            var stream = await session.Client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var length = stream.Length;
                if (length > Array.MaxLength)
                    throw new StorageException($"{name} at {path} is {length} bytes, too large to read whole", isTransient: false);
                var data = new byte[length];
                var read = await ReadFullyAsync(stream, data, cancellationToken).ConfigureAwait(false);
                if (read != length)
                {
                    // Blobs are immutable, so a file that shrank under us was replaced or truncated by someone else.
                    throw new StorageException($"{name} at {path} changed while being read ({read} of {length} bytes)", isTransient: true);
                }

                return data;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        await RunReadAsync(name, path, async session =>
        {
            var stream = await session.Client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                stream.Position = offset;
                var read = await ReadFullyAsync(stream, destination, cancellationToken).ConfigureAwait(false);
                if (read != destination.Length)
                {
                    throw new StorageException(
                        $"{name} at {path} is too short: wanted {destination.Length} bytes at offset {offset}, got {read}", isTransient: false);
                }

                return 0;
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        return await RunReadAsync(name, path, async session =>
        {
            var attributes = await session.Client.GetAttributesAsync(path, cancellationToken).ConfigureAwait(false);
            return attributes.IsRegularFile ? new BlobInfo(name, attributes.Size) : throw new BlobNotFoundException(name);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (kind == BlobKind.Config)
        {
            if (await this.TryStatAsync(BlobName.Config, cancellationToken).ConfigureAwait(false) is { } found) yield return found;
            yield break;
        }

        // A kind's folder is the parent of one of its names; packs sit one level further down, in data/xx/.
        var folder = _base + "/" + new BlobName(kind, "00").Path;
        folder = folder[..folder.LastIndexOf('/')];
        if (kind == BlobKind.Pack) folder = folder[..folder.LastIndexOf('/')];

        // Each folder's listing is collected on a pooled session and then handed out, so no session is held while
        // the caller works through the names.
        var entries = await ListFolderAsync(folder, cancellationToken).ConfigureAwait(false);
        if (kind != BlobKind.Pack)
        {
            foreach (var file in entries.Where(e => e.IsRegularFile && IsBlobName(e.Name)))
            {
                yield return new BlobInfo(new BlobName(kind, file.Name), file.Length);
            }

            yield break;
        }

        // The up to 256 prefix folders are listed on all pooled sessions at once: one at a time, a repository's
        // listing would cost 257 round trips in a row.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listings = entries.Where(e => e.IsDirectory && e.Name.Length == 2 && IsBlobName(e.Name))
            .Select(prefix => ListFolderAsync(folder + "/" + prefix.Name, stop.Token))
            .ToList();
        try
        {
            foreach (var listing in listings)
            {
                foreach (var file in await listing.ConfigureAwait(false))
                {
                    if (file.IsRegularFile && IsBlobName(file.Name)) yield return new BlobInfo(new BlobName(kind, file.Name), file.Length);
                }
            }
        }
        finally
        {
            // A caller that stops early, or a failed listing, cancels the rest instead of leaving them running.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var listing in listings)
            {
                try
                {
                    await listing.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or StorageException)
                {
                    // Already reported by the listing the caller awaited, or cancelled just now.
                }
            }
        }
    }

    /// <inheritdoc/>
    public IBlobWriter CreateWriter(BlobKind kind) => new SpoolingBlobWriter(this);

    /// <inheritdoc/>
    public async Task<AbandonedWrites> DeleteAbandonedWritesAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var cutoff = DateTime.UtcNow - olderThan;
        var files = 0;
        long bytes = 0;
        // Temp files sit next to their final names: in the root, a kind's folder, data/ or data/xx/.
        var folders = new List<string> { _base };
        folders.AddRange(new[] { BlobKind.Key, BlobKind.Index, BlobKind.Snapshot, BlobKind.Lock }
            .Select(kind => _base + "/" + new BlobName(kind, "00").Path[..^3]));
        var data = _base + "/data";
        folders.Add(data);
        folders.AddRange((await ListFolderAsync(data, cancellationToken).ConfigureAwait(false))
            .Where(e => e.IsDirectory && e.Name.Length == 2 && IsBlobName(e.Name))
            .Select(e => data + "/" + e.Name));

        foreach (var folder in folders)
        {
            foreach (var file in await ListFolderAsync(folder, cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!file.IsRegularFile || !file.Name.StartsWith(TempPrefix, StringComparison.Ordinal) || file.LastWriteTimeUtc >= cutoff) continue;
                var path = folder + "/" + file.Name;
                await RunAsync("delete", path, async session =>
                {
                    await DeleteIfExistsAsync(session, path, cancellationToken).ConfigureAwait(false);
                    return 0;
                }, cancellationToken).ConfigureAwait(false);
                files++;
                bytes += file.Length;
            }
        }

        return new AbandonedWrites(files, bytes);
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync("delete", path, async session =>
        {
            await DeleteIfExistsAsync(session, path, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _pool.DisposeAsync().ConfigureAwait(false);
        _connector.Dispose();
    }

    private string PathOf(BlobName name)
    {
        BlobNameRules.ThrowIfInvalid(name);
        return _base + "/" + name.Path;
    }

    private static bool IsBlobName(string name) => name.Length > 0 && name.All(char.IsAsciiLetterOrDigit);

    // Runs a read; a missing file is the blob's absence.
    private Task<T> RunReadAsync<T>(BlobName name, string path, Func<SftpSession, Task<T>> operation, CancellationToken cancellationToken) =>
        RunAsync("read", path, async session =>
        {
            try
            {
                return await operation(session).ConfigureAwait(false);
            }
            catch (SftpPathNotFoundException e)
            {
                throw new BlobNotFoundException(name, e);
            }
        }, cancellationToken);

    private async Task<T> RunAsync<T>(string operation, string path, Func<SftpSession, Task<T>> action, CancellationToken cancellationToken,
        bool checkBase = true)
    {
        try
        {
            return await _pool.RunAsync(async session =>
            {
                if (checkBase && !_baseExists) await CheckBaseAsync(session, cancellationToken).ConfigureAwait(false);
                return await action(session).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException
                                  && SftpErrors.Map(e, _connector.Server, operation, path, _options.Transfer.RequestTimeout) is { } mapped)
        {
            if (ReferenceEquals(mapped, e)) throw;
            throw mapped;
        }
    }

    // Once per store: a repository directory that is not there is "no repository here" (exit 10), not a missing blob.
    private async Task CheckBaseAsync(SftpSession session, CancellationToken cancellationToken)
    {
        try
        {
            var attributes = await session.Client.GetAttributesAsync(_base, cancellationToken).ConfigureAwait(false);
            if (!attributes.IsDirectory)
                throw new StorageLocationNotFoundException($"{Location}: {_base} on {_options.Location.Host} is not a directory");
            _baseExists = true;
        }
        catch (SftpPathNotFoundException e)
        {
            throw new StorageLocationNotFoundException(
                $"the directory {_base} does not exist on {_options.Location.Host}: 'cairn init' creates it, or check the location {Location}", e);
        }
    }

    private async Task UploadAsync(SftpSession session, Stream content, string temp, CancellationToken cancellationToken)
    {
        // UploadFile keeps several writes in flight, unlike writing to an SftpFileStream, which waits for each one.
        await session.Client.UploadFileAsync(content, temp, canOverride: false, uploadProgress: null, cancellationToken).ConfigureAwait(false);
    }

    private static void Rename(SftpSession session, string temp, string path)
    {
        try
        {
            // posix-rename@openssh.com is rename(2): it replaces an existing blob atomically.
            session.Client.RenameFile(temp, path, isPosix: true);
        }
        catch (NotSupportedException)
        {
            // A server without the extension: plain SFTP rename refuses to replace. Callers only ever put the same
            // content again under an existing name, so an existing blob is already the right one.
            try
            {
                session.Client.RenameFile(temp, path, isPosix: false);
            }
            catch (SftpException) when (session.Client.Exists(path))
            {
                TryDelete(session, temp);
            }
        }
    }

    // mkdir for each missing folder from the repository's directory (or, for init, from the top) down to folder.
    private async Task CreateDirectoriesAsync(SftpSession session, string folder, bool stopAtBase, CancellationToken cancellationToken)
    {
        var missing = new Stack<string>();
        for (var current = folder; current.Length > 0 && current != "/"; current = ParentOf(current))
        {
            if (stopAtBase && current == _base)
            {
                if (!await ExistsAsync(session, current, cancellationToken).ConfigureAwait(false))
                    throw new StorageLocationNotFoundException($"the directory {_base} no longer exists on {_options.Location.Host}: check the location {Location}");
                break;
            }

            if (await ExistsAsync(session, current, cancellationToken).ConfigureAwait(false)) break;
            missing.Push(current);
        }

        while (missing.TryPop(out var directory))
        {
            try
            {
                await session.Client.CreateDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpException) when (session.Client.Exists(directory))
            {
                // Another put made it meanwhile.
            }
        }
    }

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash switch
        {
            < 0 => "",
            0 => "/",
            _ => path[..slash],
        };
    }

    private static async Task<bool> ExistsAsync(SftpSession session, string path, CancellationToken cancellationToken)
    {
        try
        {
            await session.Client.GetAttributesAsync(path, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SftpPathNotFoundException)
        {
            return false;
        }
    }

    private async Task<List<Renci.SshNet.Sftp.ISftpFile>> ListFolderAsync(string folder, CancellationToken cancellationToken) =>
        await RunAsync("list", folder, async session =>
        {
            var entries = new List<Renci.SshNet.Sftp.ISftpFile>();
            try
            {
                await foreach (var entry in session.Client.ListDirectoryAsync(folder, cancellationToken).ConfigureAwait(false))
                {
                    entries.Add(entry);
                }
            }
            catch (SftpPathNotFoundException)
            {
                // Nothing of this kind was ever written.
            }

            return entries;
        }, cancellationToken).ConfigureAwait(false);

    private static async Task DeleteIfExistsAsync(SftpSession session, string path, CancellationToken cancellationToken)
    {
        try
        {
            await session.Client.DeleteFileAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            // Deletes are idempotent.
        }
    }

    private static void TryDelete(SftpSession session, string path)
    {
        try
        {
            if (session.IsConnected) session.Client.DeleteFile(path);
        }
        catch (Exception e) when (e is SshException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The original failure is the one worth reporting; prune removes leftover temp files later.
        }
    }

    private static async Task<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }

        return total;
    }
}
