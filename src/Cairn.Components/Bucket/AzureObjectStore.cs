using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Cairn.Storage;
using Cairn.Storage.Azure;

namespace Cairn.Components.Bucket;

/// <summary>
/// The blobs under an "azure:container[/prefix]" location, through the Azure repository store's container client (its
/// parsing, credentials and error translation). Uploads go as Put Blob or staged blocks, each request with Content-MD5.
/// </summary>
internal sealed class AzureObjectStore : IObjectStore
{
    private const int BlockSize = 8 << 20;

    private readonly AzureBlobStore _store;
    private readonly AzureLocation _location;
    private readonly BlobContainerClient _container;
    private readonly string _keyPrefix;

    public AzureObjectStore(string url, TransferOptions transfer, Func<string, string?> variable)
    {
        _location = AzureLocation.Parse(url);
        _store = new AzureBlobStore(new AzureBlobStoreOptions
        {
            Location = _location,
            Credentials = AzureCredentials.FromEnvironment(variable),
            Transfer = transfer,
        });
        _container = _store.Container;
        _keyPrefix = _location.Prefix.Length == 0 ? "" : _location.Prefix + "/";
    }

    public string Location => _location.ToString();

    public string Tool => "Azure.Storage.Blobs " + SdkVersion.Of(typeof(BlobContainerClient));

    public async IAsyncEnumerable<ListedObject> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var items = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _keyPrefix }, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (items.ConfigureAwait(false))
        {
            while (true)
            {
                try
                {
                    if (!await items.MoveNextAsync().ConfigureAwait(false)) yield break;
                }
                catch (Exception e)
                {
                    throw Fail(e, "listing", cancellationToken);
                }

                var item = items.Current;
                if (item.Name.StartsWith(_keyPrefix, StringComparison.Ordinal))
                    yield return new ListedObject(item.Name[_keyPrefix.Length..], item.Properties.ContentLength ?? 0);
            }
        }
    }

    public async Task<ObjectDownload?> GetAsync(string key, CancellationToken cancellationToken)
    {
        Response<BlobDownloadStreamingResult> response;
        try
        {
            response = await _container.GetBlobClient(_keyPrefix + key).DownloadStreamingAsync(new BlobDownloadOptions(), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "BlobNotFound")
        {
            return null;
        }
        catch (Exception e)
        {
            throw Fail(e, $"download of '{key}'", cancellationToken);
        }

        var result = response.Value;
        var details = result.Details;
        var properties = new ObjectProperties
        {
            ContentType = details.ContentType,
            CacheControl = details.CacheControl,
            ContentEncoding = details.ContentEncoding,
            ContentDisposition = details.ContentDisposition,
            ContentLanguage = details.ContentLanguage,
            Metadata = new SortedDictionary<string, string>(details.Metadata, StringComparer.Ordinal),
        };
        return new ObjectDownload(result.Content, details.ContentLength, details.ETag.ToString(), details.LastModified, properties, result);
    }

    public async Task CreateIfMissingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.CreateContainerIfMissingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e, "container creation", cancellationToken);
        }
    }

    public async Task PutAsync(string key, long size, ObjectProperties properties, Stream content, CancellationToken cancellationToken)
    {
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders
            {
                ContentType = properties.ContentType,
                CacheControl = properties.CacheControl,
                ContentEncoding = properties.ContentEncoding,
                ContentDisposition = properties.ContentDisposition,
                ContentLanguage = properties.ContentLanguage,
            },
            Metadata = properties.Metadata.Count > 0 ? new Dictionary<string, string>(properties.Metadata, StringComparer.Ordinal) : null,
            TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
            // One request for small blobs; larger ones as staged blocks, which become the blob only when committed.
            TransferOptions = new StorageTransferOptions { InitialTransferSize = BlockSize, MaximumTransferSize = BlockSize, MaximumConcurrency = 1 },
        };
        try
        {
            await _container.GetBlobClient(_keyPrefix + key).UploadAsync(content, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e, $"upload of '{key}'", cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    private Exception Fail(Exception error, string operation, CancellationToken cancellationToken)
    {
        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested) return error;
        if (error is ComponentFailedException) return error;
        // The store's own message for a missing container tells how to create a repository; a source must exist.
        if (error is RequestFailedException { ErrorCode: "ContainerNotFound" })
            return new ComponentFailedException($"{Location}: {operation} failed: the container '{_location.Container}' does not exist at {_store.Endpoint} (ContainerNotFound)", error);
        var translated = _store.TranslateError(error, operation, cancellationToken);
        return new ComponentFailedException($"{Location}: {translated.Message}", error);
    }
}
