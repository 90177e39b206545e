using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Cairn.Storage.Azure;

/// <summary>
/// A repository in an Azure Blob Storage container (location "azure:container[/prefix]"), one block blob per Cairn
/// blob at "prefix/" + <see cref="BlobName.Path"/>.
/// </summary>
/// <remarks>
/// Puts are atomic by the service's semantics: one Put Blob request, or staged blocks that only become the blob when
/// the block list is committed. Each request carries the MD5 of its body (Content-MD5), which the service checks before
/// it stores anything. The SDK's own retries are off: Cairn's retry decorator retries the transient errors this store
/// raises, so there is one retry policy, and one place that says when it gave up.
/// </remarks>
public sealed class AzureBlobStore : IBlobStore, IContainerStore, IColdStorageStore
{
    private const int HashBufferSize = 1 << 20;

    private readonly AzureBlobStoreOptions _options;
    private readonly HttpClient _http;
    private readonly BlobContainerClient _container;
    private readonly AzureErrors _errors;
    private readonly AccessTier? _dataTier;
    private readonly string _prefix;

    /// <summary>Creates the store; nothing is contacted until the first operation. A bad tier or key fails here.</summary>
    public AzureBlobStore(AzureBlobStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 1);
        _options = options;
        _dataTier = AzureTiers.ParseDataTier(options.Transfer.DataStorageClass);
        _prefix = options.Location.Prefix.Length > 0 ? options.Location.Prefix + "/" : "";

        var handler = new SocketsHttpHandler
        {
            // Pack uploads are bounded by Connections; the extra two keep lock refreshes and listings from queueing
            // behind them.
            MaxConnectionsPerServer = options.Transfer.Connections + 2,
            ConnectTimeout = options.Transfer.RequestTimeout < TimeSpan.FromSeconds(30) ? options.Transfer.RequestTimeout : TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        // Azure.Core's NetworkTimeout bounds each request; the HttpClient's own timeout would only race it.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var clientOptions = new BlobClientOptions { Transport = new HttpClientTransport(_http) };
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = options.Transfer.RequestTimeout;
        clientOptions.Diagnostics.IsLoggingEnabled = false;
        clientOptions.Diagnostics.IsDistributedTracingEnabled = false;
        try
        {
            var service = options.Credentials.CreateServiceClient(clientOptions);
            _container = service.GetBlobContainerClient(options.Location.Container);
            // GetLeftPart drops the query, which holds the SAS when a connection string carries one.
            var endpoint = service.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
            _errors = new AzureErrors(options.Location, endpoint, options.Credentials.RefusalHint);
        }
        catch
        {
            _http.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public string Location => _options.Location.ToString();

    /// <summary>The blob service endpoint (without any SAS), for messages and tests.</summary>
    public string Endpoint => _errors.Endpoint;

    /// <summary>
    /// The container client, configured as the store uses it (no SDK retries, the request timeout), for tests that look
    /// at what the service recorded (such as a blob's tier) and for the bucket component, which reads other blobs.
    /// </summary>
    public BlobContainerClient Container => _container;

    /// <summary>
    /// What <paramref name="error"/>, thrown by <see cref="Container"/> during <paramref name="operation"/> (a noun for
    /// the message, e.g. "listing"), means as a Cairn storage error; exceptions that are neither the service's nor the
    /// network's (bugs, the caller's cancellation) come back unchanged.
    /// </summary>
    public Exception TranslateError(Exception error, string operation, CancellationToken cancellationToken) =>
        _errors.Map(error, operation, null, cancellationToken) ?? error;

    /// <summary>The full blob name (with the prefix) that holds <paramref name="name"/>.</summary>
    public string KeyOf(BlobName name)
    {
        BlobNameRules.ThrowIfInvalid(name);
        return _prefix + name.Path;
    }

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var stream = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        return PutAndDisposeAsync(name, stream, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var blob = _container.GetBlockBlobClient(KeyOf(name));
        cancellationToken.ThrowIfCancellationRequested();
        var start = content.Position;
        var length = content.Length - start;
        // With a data tier chosen, everything else is pinned to Hot explicitly, so an account whose default tier is Cool
        // still keeps metadata hot; without one, every blob takes the account's default.
        AccessTier? tier = name.Kind == BlobKind.Pack || _dataTier is null ? _dataTier : AccessTier.Hot;
        try
        {
            // Under --limit-upload (a paced stream) blobs go up as staged blocks, whose MD5 we compute in a pass that
            // sends nothing: the single-shot upload below hashes the stream it is given, so it would pace every byte twice.
            if (length <= _options.SingleUploadLimit && BandwidthLimiter.Unpaced(content) == content)
            {
                // The SDK hashes a seekable stream in a first pass and rewinds it (no buffering), then sends the MD5
                // as Content-MD5; the threshold above the length keeps it to one Put Blob request.
                var upload = new BlobUploadOptions
                {
                    AccessTier = tier,
                    TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
                    TransferOptions = new StorageTransferOptions { InitialTransferSize = length + 1, MaximumConcurrency = 1 },
                };
                await blob.UploadAsync(content, upload, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await PutBlocksAsync(blob, content, start, length, tier, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (_errors.Map(e, "upload", name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(KeyOf(name));
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            using var result = (await blob.DownloadStreamingAsync(new BlobDownloadOptions(), cancellationToken).ConfigureAwait(false)).Value;
            var length = result.Details.ContentLength;
            if (length > Array.MaxLength)
            {
                throw new StorageException($"{name} in {Location} is {length} bytes, too large to read whole", isTransient: false);
            }

            var data = new byte[length];
            var read = await ReadFullyAsync(result.Content, data, cancellationToken).ConfigureAwait(false);
            return read == length ? data
                : throw new StorageException($"Azure download of {name} ended after {read} of {length} bytes", isTransient: true);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "BlobArchived")
        {
            throw await ArchivedAsync(blob, name, e, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_errors.Map(e, "download", name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var blob = _container.GetBlobClient(KeyOf(name));
        cancellationToken.ThrowIfCancellationRequested();
        if (destination.Length == 0)
        {
            // An empty HTTP range cannot be expressed; the blob must still exist and be long enough.
            var info = await StatAsync(name, cancellationToken).ConfigureAwait(false);
            if (offset > info.Length) throw TooShort(name, offset, 0, info.Length);
            return;
        }

        try
        {
            var range = new BlobDownloadOptions { Range = new HttpRange(offset, destination.Length) };
            using var result = (await blob.DownloadStreamingAsync(range, cancellationToken).ConfigureAwait(false)).Value;
            var read = await ReadFullyAsync(result.Content, destination, cancellationToken).ConfigureAwait(false);
            if (read != destination.Length) throw TooShort(name, offset, destination.Length, offset + read);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "BlobArchived")
        {
            throw await ArchivedAsync(blob, name, e, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 416)
        {
            // The range starts at or past the end: as permanent as any other short blob.
            throw TooShort(name, offset, destination.Length, null, e);
        }
        catch (Exception e) when (_errors.Map(e, "download", name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(KeyOf(name));
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            var tier = properties.AccessTier is { Length: > 0 } t ? new AccessTier(t) : (AccessTier?)null;
            return new BlobInfo(name, properties.ContentLength, AzureTiers.ReportedClass(tier), AzureTiers.IsArchived(tier));
        }
        catch (Exception e) when (_errors.Map(e, "stat", name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Packs sit one level down (data/xx/name); one flat listing of data/ finds them all.
        var folder = kind == BlobKind.Config ? "config" : new BlobName(kind, "00").Path.Split('/')[0] + "/";
        var listing = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _prefix + folder }, cancellationToken);
        var items = listing.GetAsyncEnumerator(cancellationToken);
        await using (items.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false)) yield break;
                }
                catch (Exception e) when (_errors.Map(e, "listing", null, cancellationToken) is { } mapped)
                {
                    throw mapped;
                }

                if (ToBlobInfo(kind, items.Current) is { } info) yield return info;
            }
        }
    }

    /// <inheritdoc/>
    public IBlobWriter CreateWriter(BlobKind kind) => new SpoolingBlobWriter(this);

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var blob = _container.GetBlobClient(KeyOf(name));
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // DeleteIfExists treats a missing blob (and a missing container) as done, as the contract wants.
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_errors.Map(e, "delete", name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task CreateContainerIfMissingAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            try
            {
                await _container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 403 && e.ErrorCode is "AuthorizationPermissionMismatch" or "AuthorizationResourceTypeMismatch" or "AuthorizationFailure")
            {
                // A container-scoped SAS may not create containers. If the container is there and listable, init has
                // all it needs; if not, the listing raises the error that explains why.
                await foreach (var _ in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _prefix }, cancellationToken).AsPages(pageSizeHint: 1).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (_errors.Map(e, "container creation", null, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task<ThawState> RequestThawAsync(BlobName name, ThawRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var priority = AzureTiers.ParsePriority(request.Priority);
        var blob = _container.GetBlobClient(KeyOf(name));
        try
        {
            var state = await ThawStateAsync(blob, cancellationToken).ConfigureAwait(false);
            if (state is not null) return state.Value;
            try
            {
                // Rehydrate to Hot: the pack is read now, and Hot has no early-deletion charge if a later prune removes it.
                await blob.SetAccessTierAsync(AccessTier.Hot, rehydratePriority: priority, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.ErrorCode == "BlobBeingRehydrated")
            {
                return ThawState.InProgress;
            }

            // Azure answers 202 and keeps the blob in Archive while it rehydrates; Azurite moves it at once. Ask again.
            return await ThawStateAsync(blob, cancellationToken).ConfigureAwait(false) ?? ThawState.InProgress;
        }
        catch (Exception e) when (_errors.Map(e, "tier change", name, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task PutAndDisposeAsync(BlobName name, MemoryStream stream, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            await PutAsync(name, stream, cancellationToken).ConfigureAwait(false);
        }
    }

    // Blocks are staged from windows on the source stream and become the blob only when the list is committed, so a
    // failure part-way leaves no blob (the service discards uncommitted blocks after a week).
    private async Task PutBlocksAsync(BlockBlobClient blob, Stream content, long start, long length, AccessTier? tier, CancellationToken cancellationToken)
    {
        // Ids must all have one length within a blob; a random part keeps concurrent uploads of one name apart.
        var uploadId = RandomNumberGenerator.GetBytes(8);
        var blockIds = new List<string>();
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        for (long offset = 0; offset < length; offset += _options.BlockSize)
        {
            var size = Math.Min(_options.BlockSize, length - offset);
            content.Position = start + offset;
            var md5 = await Md5Async(BandwidthLimiter.Unpaced(content), size, whole, cancellationToken).ConfigureAwait(false);
            var id = new byte[16];
            uploadId.CopyTo(id, 0);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id.AsSpan(8), blockIds.Count);
            blockIds.Add(Convert.ToBase64String(id));
            var stage = new BlockBlobStageBlockOptions
            {
                TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = md5 },
            };
            await blob.StageBlockAsync(blockIds[^1], new StreamWindow(content, start + offset, size), stage, cancellationToken).ConfigureAwait(false);
        }

        var commit = new CommitBlockListOptions { AccessTier = tier, HttpHeaders = new BlobHttpHeaders { ContentHash = whole.GetHashAndReset() } };
        await blob.CommitBlockListAsync(blockIds, commit, cancellationToken).ConfigureAwait(false);
    }

    // MD5 because it is what Azure checks per request (Content-MD5); integrity in flight, not security.
    private static async Task<byte[]> Md5Async(Stream content, long length, IncrementalHash alsoInto, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(HashBufferSize);
        try
        {
            for (long left = length; left > 0;)
            {
                var n = await content.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
                if (n == 0) throw new StorageException("the blob to upload ended before its length", isTransient: false);
                md5.AppendData(buffer, 0, n);
                alsoInto.AppendData(buffer, 0, n);
                left -= n;
            }

            return md5.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<int> ReadFullyAsync(Stream source, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = await source.ReadAsync(destination[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }

        return total;
    }

    private BlobInfo? ToBlobInfo(BlobKind kind, BlobItem item)
    {
        if (!item.Name.StartsWith(_prefix, StringComparison.Ordinal)) return null;
        var relative = item.Name[_prefix.Length..];
        var name = new BlobName(kind, relative[(relative.LastIndexOf('/') + 1)..]);
        // Anything that is not exactly a Cairn blob's path (other tools' files, "config.bak") is not listed.
        if (name.Name.Length < (kind == BlobKind.Pack ? 2 : 1) || !name.Name.All(char.IsAsciiLetterOrDigit) || name.Path != relative) return null;
        var tier = item.Properties.AccessTier;
        return new BlobInfo(name, item.Properties.ContentLength ?? 0, AzureTiers.ReportedClass(tier), AzureTiers.IsArchived(tier));
    }

    // Null when archived with no rehydration running; otherwise whether the blob can be read now.
    private static async Task<ThawState?> ThawStateAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        if (properties.AccessTier != AccessTier.Archive.ToString()) return ThawState.Readable;
        return AzureTiers.IsRehydrating(properties.ArchiveStatus) ? ThawState.InProgress : null;
    }

    private async Task<StorageException> ArchivedAsync(BlobClient blob, BlobName name, RequestFailedException error, CancellationToken cancellationToken)
    {
        var thawing = false;
        try
        {
            thawing = await ThawStateAsync(blob, cancellationToken).ConfigureAwait(false) == ThawState.InProgress;
        }
        catch (Exception e) when (_errors.Map(e, "stat", name, cancellationToken) is not null)
        {
            // The read already failed for a clear reason; not knowing whether a thaw runs only changes the advice.
        }

        return new BlobArchivedException(name, AccessTier.Archive.ToString(), thawing, error);
    }

    private StorageException TooShort(BlobName name, long offset, long length, long? available, Exception? inner = null) => new(
        $"{name} in {Location} is too short: wanted {length} bytes at offset {offset}" + (available is { } a ? $", it ends at {a}" : ", it ends before that"),
        isTransient: false, inner);
}
