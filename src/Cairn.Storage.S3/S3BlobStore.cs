using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Cairn.Storage.S3;

/// <summary>What an <see cref="S3BlobStore"/> needs: where, who, and how to transfer.</summary>
public sealed record S3StoreOptions
{
    /// <summary>The bucket and prefix, and the endpoint for S3-compatible services.</summary>
    public required S3Location Location { get; init; }

    /// <summary>Credentials and region (see <see cref="S3Credentials.Resolve"/>).</summary>
    public required S3Identity Identity { get; init; }

    /// <summary>Connections, timeout and the data packs' storage class.</summary>
    public TransferOptions Transfer { get; init; } = new();

    /// <summary>A PEM file of extra certificate authorities to trust for HTTPS (AWS_CA_BUNDLE); null for the system's only.</summary>
    public string? CaBundle { get; init; }
}

/// <summary>
/// A repository in an S3 bucket (AWS, or any S3-compatible service by path-style addressing), one object per blob
/// under the location's prefix, at the keys of <see cref="BlobName.Path"/>.
/// </summary>
/// <remarks>
/// A single PUT is atomic on S3 (the object appears whole or not at all) and S3 reads after writes consistently, so
/// puts need no temporary names. Every PUT carries Content-MD5, computed here in one pass over the bytes before the
/// upload, so the service rejects a body damaged on the way; uploads are plain (not aws-chunked) because some
/// S3-compatible services mishandle streaming signatures. A put therefore reads its body twice over HTTPS (hashing,
/// sending; the payload is not signed separately) and three times over plain HTTP, where the SDK hashes it again for
/// the SigV4 signature; a pacing stream handed in is paced on every read. Packs of file data go to
/// <see cref="TransferOptions.DataStorageClass"/>; everything else (metadata, packs holding trees) to STANDARD. The
/// SDK's own retries are off: the caller's retry policy decides.
/// </remarks>
public sealed class S3BlobStore : IBlobStore, IContainerStore, IColdStorageStore
{
    private const string AwsDefaultRegion = "us-east-1";

    private readonly AmazonS3Client _client;
    private readonly S3Location _location;
    private readonly string _region;
    private readonly TransferOptions _transfer;
    private readonly S3StorageClass? _dataClass;
    private readonly bool _unsignedPayload;
    private readonly S3Errors _errors;
    private volatile bool _bucketSeen;

    /// <summary>Creates the store; nothing is contacted until the first operation.</summary>
    public S3BlobStore(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _location = options.Location;
        var transfer = _transfer = options.Transfer;
        _region = options.Identity.Region ?? AwsDefaultRegion;
        _dataClass = transfer.DataStorageClass is { } dataClass ? S3StorageClass.FindValue(S3StorageClasses.Validate(dataClass)) : null;
        var config = new AmazonS3Config
        {
            // Plain uploads with Content-MD5 instead of aws-chunked bodies with trailing checksums, which several
            // S3-compatible services (s3rver among them) mishandle. Real S3 accepts both.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = transfer.RequestTimeout,
            // Well inside the request's limit, so a host that never answers is reported as unreachable, not as slow.
            ConnectTimeout = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, transfer.RequestTimeout.Ticks / 2)),
            MaxErrorRetry = 0,
            MaxConnectionsPerServer = transfer.Connections,
            // AWS_ENDPOINT_URL in the process environment must not redirect a location that names its own endpoint.
            IgnoreConfiguredEndpointUrls = true,
        };
        string endpointDescription;
        if (_location.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.ForcePathStyle = true;
            config.AuthenticationRegion = _region;
            endpointDescription = endpoint.ToString().TrimEnd('/');
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(_region);
            endpointDescription = $"AWS S3 in {_region}";
        }

        // Over TLS the payload needs no signature of its own (Content-MD5 and TLS guard it), which saves hashing each
        // pack a second time; over plain HTTP SigV4 must sign it.
        _unsignedPayload = (_location.Endpoint?.Scheme ?? Uri.UriSchemeHttps) == Uri.UriSchemeHttps;
        if (options.CaBundle is { } bundle) config.HttpClientFactory = CaBundleHttpClientFactory.Load(bundle);
        _client = options.Identity.Credentials is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
        _errors = new S3Errors(_location, endpointDescription, options.Identity.Source, transfer.RequestTimeout);
    }

    /// <summary>
    /// Opens the store for an "s3:…" location with credentials (and AWS_CA_BUNDLE) from <paramref name="variable"/>, an
    /// environment.
    /// </summary>
    public static S3BlobStore Open(string location, TransferOptions transfer, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return new(new S3StoreOptions
        {
            Location = S3Location.Parse(location),
            Identity = S3Credentials.Resolve(variable),
            Transfer = transfer,
            CaBundle = variable("AWS_CA_BUNDLE") is { Length: > 0 } bundle ? bundle : null,
        });
    }

    /// <inheritdoc/>
    public string Location => _location.Text;

    /// <summary>
    /// The SDK client, configured as the store uses it (plain uploads, no SDK retries, path-style for endpoints, the CA
    /// bundle), for callers that work on the bucket's other objects, such as the bucket component.
    /// </summary>
    public IAmazonS3 Client => _client;

    /// <summary>
    /// What <paramref name="error"/>, thrown by <see cref="Client"/> during <paramref name="operation"/> (a verb for the
    /// message), means as a Cairn storage error: refused credentials, an unreachable endpoint, a missing bucket, …;
    /// the caller's own cancellation and Cairn errors come back unchanged.
    /// </summary>
    public Exception TranslateError(Exception error, string operation, CancellationToken cancellationToken) =>
        _errors.Map(error, operation, null, cancellationToken);

    /// <inheritdoc/>
    public IBlobWriter CreateWriter(BlobKind kind) => new SpoolingBlobWriter(this);

    /// <inheritdoc/>
    public async Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        var md5 = MD5.HashData(data.Span);
        using var body = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        await UploadAsync(name, body, md5, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Hashes the stream from its position to its end, then uploads that window; on failure the position is
    /// back where it was, so a retry can call again with the same stream.</remarks>
    public async Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        var start = content.Position;
        try
        {
            // The hashing pass sends nothing: only the upload below is paced by --limit-upload.
            var md5 = await HashToEndAsync(BandwidthLimiter.Unpaced(content), cancellationToken).ConfigureAwait(false);
            using var body = new StreamWindow(content, start, content.Position - start);
            await UploadAsync(name, body, md5, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A caller that retries calls again with the same stream: it must find the blob where it was.
            content.Position = start;
            throw;
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _location.Bucket, Key = KeyOf(name) },
                cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
            if (response.ContentLength > Array.MaxLength)
                throw new StorageException($"{name} is {response.ContentLength} bytes, too large to read whole", isTransient: false);
            var data = new byte[response.ContentLength];
            await response.ResponseStream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
            return data;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "InvalidObjectState")
        {
            throw await ArchivedAsync(name, e, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (_errors.Map(e, "read", name, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (destination.Length == 0)
        {
            // HTTP cannot ask for zero bytes; the blob must still exist and reach the offset.
            var info = await StatAsync(name, cancellationToken).ConfigureAwait(false);
            if (offset > info.Length) throw TooShort(name, offset, 0, info.Length);
            return;
        }

        try
        {
            var request = new GetObjectRequest
            {
                BucketName = _location.Bucket,
                Key = KeyOf(name),
                ByteRange = new ByteRange(offset, offset + destination.Length - 1),
            };
            using var response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
            // S3 answers a range that runs past the end with the bytes there are; a server that ignores Range answers 200.
            var ranged = response.HttpStatusCode == HttpStatusCode.PartialContent || offset == 0;
            if (!ranged || response.ContentLength != destination.Length)
                throw TooShort(name, offset, destination.Length, ranged ? offset + response.ContentLength : null);
            await response.ResponseStream.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "InvalidObjectState")
        {
            throw await ArchivedAsync(name, e, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "InvalidRange")
        {
            throw TooShort(name, offset, destination.Length, null, e);
        }
        catch (Exception e) when (_errors.Map(e, "read", name, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        var head = await HeadAsync(name, cancellationToken).ConfigureAwait(false);
        var storageClass = head.StorageClass?.Value;
        return new BlobInfo(name, head.ContentLength, S3StorageClasses.Reported(storageClass),
            S3StorageClasses.IsArchive(storageClass) && !IsRestored(head));
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var folder = kind switch
        {
            BlobKind.Config => "config",
            BlobKind.Key => "keys/",
            BlobKind.Pack => "data/",
            BlobKind.Index => "index/",
            BlobKind.Snapshot => "snapshots/",
            BlobKind.Lock => "locks/",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = _location.KeyOf(folder) };
        // Only packs can be archived, so only their listing asks for restore status (an extra response field).
        if (kind == BlobKind.Pack) request.OptionalObjectAttributes = [OptionalObjectAttributes.RestoreStatus];
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (_errors.Map(e, $"list {kind.ToString().ToLowerInvariant()} blobs", null, cancellationToken) is var mapped && mapped != e)
            {
                throw mapped;
            }

            _bucketSeen = true;
            foreach (var item in response.S3Objects ?? [])
            {
                if (ParseKey(kind, item.Key) is not { } name) continue;
                var storageClass = item.StorageClass?.Value;
                var restored = item.RestoreStatus is { IsRestoreInProgress: false };
                yield return new BlobInfo(name, item.Size ?? 0, S3StorageClasses.Reported(storageClass),
                    S3StorageClasses.IsArchive(storageClass) && !restored);
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) yield break;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        BlobNameRules.ThrowIfInvalid(name);
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // S3 answers 204 for a key that is not there, so deletes are idempotent without a check.
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _location.Bucket, Key = KeyOf(name) }, cancellationToken)
                .ConfigureAwait(false);
            _bucketSeen = true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            // Some S3-compatible services say so anyway.
        }
        catch (Exception e) when (_errors.Map(e, "delete", name, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    /// <inheritdoc/>
    public async Task CreateContainerIfMissingAsync(CancellationToken cancellationToken)
    {
        if (await BucketExistsAsync(cancellationToken).ConfigureAwait(false)) return;
        var request = new PutBucketRequest { BucketName = _location.Bucket };
        // AWS wants the region spelled out everywhere but us-east-1; other services take the endpoint's default.
        if (_location.Endpoint is null && _region != AwsDefaultRegion) request.BucketRegionName = _region;
        try
        {
            await _client.PutBucketAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            // Another init made it first: ours now.
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyExists")
        {
            throw new StorageException($"the bucket name '{_location.Bucket}' is taken by another account: choose another bucket", isTransient: false, e, ExitCode.Usage);
        }
        catch (Exception e) when (_errors.Map(e, $"create bucket '{_location.Bucket}'", null, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }

        _bucketSeen = true;
    }

    /// <inheritdoc/>
    public async Task<ThawState> RequestThawAsync(BlobName name, ThawRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        BlobNameRules.ThrowIfInvalid(name);
        var tier = ThawTier(request.Priority);
        if (request.Days < 1) throw new CairnException($"a thaw must keep the copy for at least one day, not {request.Days}", ExitCode.Usage);
        var head = await HeadAsync(name, cancellationToken).ConfigureAwait(false);
        if (!S3StorageClasses.IsArchive(head.StorageClass?.Value) || IsRestored(head)) return ThawState.Readable;
        if (head.RestoreInProgress == true) return ThawState.InProgress;
        try
        {
            await _client.RestoreObjectAsync(new RestoreObjectRequest
            {
                BucketName = _location.Bucket,
                Key = KeyOf(name),
                Days = request.Days,
                Tier = tier,
            }, cancellationToken).ConfigureAwait(false);
            return ThawState.InProgress;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "RestoreAlreadyInProgress")
        {
            return ThawState.InProgress;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NotImplemented" || e.StatusCode == HttpStatusCode.NotImplemented)
        {
            throw new StorageException($"{_location.Text}: the service does not implement RestoreObject, so {name} in " +
                $"{head.StorageClass?.Value} cannot be thawed through it", isTransient: false, e);
        }
        catch (Exception e) when (_errors.Map(e, "thaw", name, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    /// <summary>The S3 retrieval tier for a <see cref="ThawRequest.Priority"/> ("Expedited", "Standard", "Bulk", any case).</summary>
    public static GlacierJobTier ThawTier(string priority)
    {
        ArgumentNullException.ThrowIfNull(priority);
        return priority.Trim().ToUpperInvariant() switch
        {
            "EXPEDITED" => GlacierJobTier.Expedited,
            "STANDARD" => GlacierJobTier.Standard,
            "BULK" => GlacierJobTier.Bulk,
            _ => throw new CairnException($"'{priority}' is not an S3 retrieval tier: choose Expedited, Standard or Bulk", ExitCode.Usage),
        };
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task UploadAsync(BlobName name, Stream body, byte[] md5, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = _location.Bucket,
            Key = KeyOf(name),
            InputStream = body,
            AutoCloseStream = false,
            AutoResetStreamPosition = true,
            ContentType = "application/octet-stream",
            MD5Digest = Convert.ToBase64String(md5),
            UseChunkEncoding = false,
            DisablePayloadSigning = _unsignedPayload,
        };
        // Only packs of file data (BlobName.Tier) may go cold: tree packs are read by backup, ls and prune's planning.
        if (_dataClass is not null && _transfer.StorageClassFor(name) is not null) request.StorageClass = _dataClass;
        try
        {
            await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "InvalidStorageClass" && request.StorageClass is { } refused)
        {
            throw new StorageException($"{_location.Text} does not accept the storage class {refused.Value} for data packs " +
                "(InvalidStorageClass): choose another --data-storage-class", isTransient: false, e, ExitCode.Usage);
        }
        catch (Exception e) when (_errors.Map(e, "write", name, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    private async Task<GetObjectMetadataResponse> HeadAsync(BlobName name, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _location.Bucket, Key = KeyOf(name) },
                cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
            return head;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // A HEAD answer has no body, so "no such key" and "no such bucket" look the same: ask about the bucket once.
            if (!_bucketSeen && !await BucketExistsAsync(cancellationToken).ConfigureAwait(false)) throw _errors.BucketMissing(e);
            throw new BlobNotFoundException(name, e);
        }
        catch (Exception e) when (_errors.Map(e, "stat", name, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    private async Task<bool> BucketExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.HeadBucketAsync(new HeadBucketRequest { BucketName = _location.Bucket }, cancellationToken).ConfigureAwait(false);
            _bucketSeen = true;
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception e) when (_errors.Map(e, $"look up bucket '{_location.Bucket}'", null, cancellationToken) is var mapped && mapped != e)
        {
            throw mapped;
        }
    }

    // GET of a GLACIER or DEEP_ARCHIVE object that is not restored: say which class, and whether a thaw already runs.
    private async Task<StorageException> ArchivedAsync(BlobName name, AmazonS3Exception refusal, CancellationToken cancellationToken)
    {
        try
        {
            var head = await HeadAsync(name, cancellationToken).ConfigureAwait(false);
            return new BlobArchivedException(name, head.StorageClass?.Value ?? "an archive class", head.RestoreInProgress == true, refusal);
        }
        catch (StorageException e) when (e.IsTransient)
        {
            return new BlobArchivedException(name, "an archive class", thawInProgress: false, refusal);
        }
    }

    // x-amz-restore: ongoing-request="false" means a readable copy exists until its expiry date.
    private static bool IsRestored(GetObjectMetadataResponse head) => head.RestoreInProgress == false;

    private static StorageException TooShort(BlobName name, long offset, int length, long? available, Exception? inner = null) =>
        new($"{name} is too short: wanted {length} bytes at offset {offset}" + (available is { } end ? $", it ends at {end}" : ""),
            isTransient: false, inner);

    private string KeyOf(BlobName name) => _location.KeyOf(name.Path);

    // The blob name a listed key stands for, or null for keys that are not Cairn's (folder markers, stray files).
    private BlobName? ParseKey(BlobKind kind, string key)
    {
        var prefix = _location.Prefix.Length == 0 ? "" : _location.Prefix + "/";
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var path = key[prefix.Length..];
        if (kind == BlobKind.Config) return path == "config" ? BlobName.Config : null;
        var slash = path.LastIndexOf('/');
        if (slash < 0) return null;
        var name = new BlobName(kind, path[(slash + 1)..]);
        try
        {
            BlobNameRules.ThrowIfInvalid(name);
        }
        catch (ArgumentException)
        {
            return null;
        }

        return name.Path == path ? name : null;
    }

    private static async Task<byte[]> HashToEndAsync(Stream content, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) md5.AppendData(buffer, 0, read);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return md5.GetHashAndReset();
    }
}
