using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Cairn.Storage;
using Cairn.Storage.S3;
using S3Location = Cairn.Storage.S3.S3Location;

namespace Cairn.Components.Bucket;

/// <summary>
/// The objects under an "s3:…" location, through the S3 repository store's client (its parsing, credentials, CA bundle
/// and error translation). Uploads are plain PUTs with Content-MD5, and multipart uploads of the same for objects
/// larger than one part, because restore reads objects from the repository as streams of unknown seekability.
/// </summary>
internal sealed class S3ObjectStore : IObjectStore
{
    private const int MinPartSize = 16 << 20;
    private const int MaxParts = 10_000;
    private const string MetadataPrefix = "x-amz-meta-";

    private readonly S3BlobStore _store;
    private readonly S3Location _location;
    private readonly IAmazonS3 _client;
    private readonly string _keyPrefix;
    private readonly bool _unsignedPayload;

    public S3ObjectStore(string url, TransferOptions transfer, Func<string, string?> variable)
    {
        _location = S3Location.Parse(url);
        _store = S3BlobStore.Open(url, transfer, variable);
        _client = _store.Client;
        _keyPrefix = _location.Prefix.Length == 0 ? "" : _location.Prefix + "/";
        // As the store: over TLS the payload needs no signature of its own; over plain HTTP SigV4 must sign it.
        _unsignedPayload = (_location.Endpoint?.Scheme ?? Uri.UriSchemeHttps) == Uri.UriSchemeHttps;
    }

    public string Location => _location.Text;

    public string Tool => "AWSSDK.S3 " + SdkVersion.Of(typeof(AmazonS3Client));

    public async IAsyncEnumerable<ListedObject> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = _keyPrefix };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                throw Fail(e, "listing the objects", cancellationToken);
            }

            foreach (var item in response.S3Objects ?? [])
            {
                if (item.Key.StartsWith(_keyPrefix, StringComparison.Ordinal)) yield return new ListedObject(item.Key[_keyPrefix.Length..], item.Size ?? 0);
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) yield break;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public async Task<ObjectDownload?> GetAsync(string key, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _location.Bucket, Key = _keyPrefix + key }, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchKey")
        {
            return null;
        }
        catch (Exception e)
        {
            throw Fail(e, $"reading '{key}'", cancellationToken);
        }

        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in response.Metadata.Keys)
        {
            var bare = name.StartsWith(MetadataPrefix, StringComparison.OrdinalIgnoreCase) ? name[MetadataPrefix.Length..] : name;
            metadata[bare] = response.Metadata[name];
        }

        var headers = response.Headers;
        var properties = new ObjectProperties
        {
            ContentType = headers.ContentType,
            CacheControl = headers.CacheControl,
            ContentEncoding = headers.ContentEncoding,
            ContentDisposition = headers.ContentDisposition,
            ContentLanguage = response.ContentLanguage,
            Metadata = metadata,
        };
        DateTimeOffset? lastModified = response.LastModified is { } time ? new DateTimeOffset(DateTime.SpecifyKind(time.ToUniversalTime(), DateTimeKind.Utc)) : null;
        return new ObjectDownload(response.ResponseStream, response.ContentLength, response.ETag, lastModified, properties, response);
    }

    public async Task CreateIfMissingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.CreateContainerIfMissingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e, $"creating the bucket '{_location.Bucket}'", cancellationToken);
        }
    }

    public async Task PutAsync(string key, long size, ObjectProperties properties, Stream content, CancellationToken cancellationToken)
    {
        // Parts as large as needed to stay within S3's 10,000 parts, in whole MiB.
        var partSize = (int)Math.Max(MinPartSize, ((size / MaxParts) + (1 << 20)) & ~((1L << 20) - 1));
        var buffer = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var first = await content.ReadAtLeastAsync(buffer.AsMemory(0, partSize), partSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (first < partSize)
            {
                await PutSingleAsync(key, properties, buffer, first, cancellationToken).ConfigureAwait(false);
                return;
            }

            await PutMultipartAsync(key, properties, content, buffer, partSize, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e, $"writing '{key}'", cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private async Task PutSingleAsync(string key, ObjectProperties properties, byte[] data, int length, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(data, 0, length, writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _location.Bucket,
            Key = _keyPrefix + key,
            InputStream = body,
            AutoCloseStream = false,
            MD5Digest = Convert.ToBase64String(MD5.HashData(data.AsSpan(0, length))),
            UseChunkEncoding = false,
            DisablePayloadSigning = _unsignedPayload,
            ContentType = properties.ContentType,
        };
        SetHeaders(request.Headers, request.Metadata, properties);
        await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task PutMultipartAsync(string key, ObjectProperties properties, Stream content, byte[] buffer, int partSize, CancellationToken cancellationToken)
    {
        var initiate = new InitiateMultipartUploadRequest { BucketName = _location.Bucket, Key = _keyPrefix + key, ContentType = properties.ContentType };
        SetHeaders(initiate.Headers, initiate.Metadata, properties);
        var upload = await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            var length = partSize;
            while (length > 0)
            {
                using (var body = new MemoryStream(buffer, 0, length, writable: false))
                {
                    var part = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = _location.Bucket,
                        Key = _keyPrefix + key,
                        UploadId = upload.UploadId,
                        PartNumber = parts.Count + 1,
                        InputStream = body,
                        MD5Digest = Convert.ToBase64String(MD5.HashData(buffer.AsSpan(0, length))),
                        UseChunkEncoding = false,
                        DisablePayloadSigning = _unsignedPayload,
                    }, cancellationToken).ConfigureAwait(false);
                    parts.Add(new PartETag(parts.Count + 1, part.ETag));
                }

                length = await content.ReadAtLeastAsync(buffer.AsMemory(0, partSize), partSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }

            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _location.Bucket,
                Key = _keyPrefix + key,
                UploadId = upload.UploadId,
                PartETags = parts,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Parts of an abandoned upload are billed until aborted; the original error is what matters.
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _location.Bucket, Key = _keyPrefix + key, UploadId = upload.UploadId },
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException)
            {
                // Best effort: a lifecycle rule for incomplete uploads cleans up after this.
            }

            throw;
        }
    }

    private static void SetHeaders(HeadersCollection headers, MetadataCollection metadata, ObjectProperties properties)
    {
        if (properties.CacheControl is { } cache) headers.CacheControl = cache;
        if (properties.ContentEncoding is { } encoding) headers.ContentEncoding = encoding;
        if (properties.ContentDisposition is { } disposition) headers.ContentDisposition = disposition;
        if (properties.ContentLanguage is { } language) headers["Content-Language"] = language;
        foreach (var (name, value) in properties.Metadata) metadata.Add(name, value);
    }

    private Exception Fail(Exception error, string operation, CancellationToken cancellationToken)
    {
        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested) return error;
        if (error is ComponentFailedException) return error;
        // The store's own message for a missing bucket tells how to create a repository; a source must exist.
        if (error is AmazonS3Exception { ErrorCode: "NoSuchBucket" } || (error is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound } && operation.StartsWith("listing", StringComparison.Ordinal)))
            return new ComponentFailedException($"{_location.Text}: {operation} failed: the bucket '{_location.Bucket}' does not exist (NoSuchBucket)", error);
        var translated = _store.TranslateError(error, operation, cancellationToken);
        var message = translated.Message.StartsWith(_location.Text, StringComparison.Ordinal) ? translated.Message : $"{_location.Text}: {operation} failed: {translated.Message}";
        return new ComponentFailedException(message, error);
    }
}
