using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Cairn.Components.Bucket;
using Cairn.Tests.Storage.Azure;
using Cairn.Tests.Storage.S3;

namespace Cairn.Tests.Components.Bucket;

/// <summary>An object as a test writes it and reads it back from the service, independently of the component.</summary>
internal sealed record TestObject(string Key, byte[] Data, string ContentType, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// A fresh bucket (s3rver) or container (Azurite) that tests fill and inspect through the services' own SDK clients,
/// plus the component options that reach it. Deleted on dispose.
/// </summary>
internal abstract class TestBucket : IAsyncDisposable
{
    public abstract string Service { get; }

    /// <summary>The bucket or container name.</summary>
    public abstract string Name { get; }

    /// <summary>The component url for <paramref name="prefix"/> (empty: the root).</summary>
    public abstract string Url(string prefix = "");

    /// <summary>Options for a component on <see cref="Url"/>, with the test account's credentials.</summary>
    public abstract BucketOptions Options(string prefix = "");

    public abstract Task CreateAsync();

    public abstract Task PutAsync(TestObject item);

    public abstract Task DeleteAsync(string key);

    /// <summary>Every object in the bucket with bytes, content type and metadata, by full key.</summary>
    public abstract Task<SortedDictionary<string, TestObject>> ReadAllAsync();

    public abstract ValueTask DisposeAsync();

    public static TestBucket Create(string service) => service switch
    {
        "s3" => new S3TestBucket(),
        "azure" => new AzureTestBucket(),
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    /// <summary>The objects the bucket tests start from: nested keys, an empty object, a ~20 MiB one, odd characters, a key that is also a folder.</summary>
    public static List<TestObject> SampleObjects(int seed = 5)
    {
        var random = new Random(seed);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        var none = new Dictionary<string, string>();
        return
        [
            new("index.html", "<html>hello</html>"u8.ToArray(), "text/html", new Dictionary<string, string> { ["owner"] = "web", ["build"] = "42" }),
            new("assets/css/site.css", "body{color:red}"u8.ToArray(), "text/css", none),
            new("assets/img/logo.png", Bytes(70_000), "image/png", none),
            new("data/empty.bin", [], "application/octet-stream", none),
            new("data/big.bin", Bytes(20 * 1024 * 1024 + 12345), "application/x-big", new Dictionary<string, string> { ["kind"] = "large" }),
            new("odd/ünï cödé +&=;,@ (1)#%.txt", "odd"u8.ToArray(), "text/plain; charset=utf-8", none),
            new("docs", "a key that is also a folder"u8.ToArray(), "text/plain", none),
            new("docs/readme.md", "# readme"u8.ToArray(), "text/markdown", none),
            new("logs/app.log", "log line\n"u8.ToArray(), "text/plain", none),
        ];
    }
}

internal sealed class S3TestBucket : TestBucket
{
    private readonly AmazonS3Client _client = S3TestServer.AdminClient();

    public override string Service => "s3";

    public override string Name { get; } = S3TestServer.NewBucketName("bkt");

    public override string Url(string prefix = "") => $"s3:{S3TestServer.Endpoint}/{Name}" + (prefix.Length > 0 ? "/" + prefix : "");

    public override BucketOptions Options(string prefix = "") =>
        new() { Url = Url(prefix), AccessKeyId = S3TestServer.AccessKey, SecretAccessKey = S3TestServer.SecretKey, Timeout = TimeSpan.FromSeconds(60) };

    public override Task CreateAsync() => S3TestServer.CreateBucketAsync(Name);

    public override async Task PutAsync(TestObject item)
    {
        var request = new PutObjectRequest
        {
            BucketName = Name,
            Key = item.Key,
            InputStream = new MemoryStream(item.Data),
            ContentType = item.ContentType,
            UseChunkEncoding = false,
        };
        foreach (var (k, v) in item.Metadata) request.Metadata.Add(k, v);
        await _client.PutObjectAsync(request);
    }

    public override Task DeleteAsync(string key) => _client.DeleteObjectAsync(Name, key);

    public override async Task<SortedDictionary<string, TestObject>> ReadAllAsync()
    {
        var all = new SortedDictionary<string, TestObject>(StringComparer.Ordinal);
        var request = new ListObjectsV2Request { BucketName = Name };
        while (true)
        {
            var page = await _client.ListObjectsV2Async(request);
            foreach (var item in page.S3Objects ?? [])
            {
                using var response = await _client.GetObjectAsync(Name, item.Key);
                using var data = new MemoryStream();
                await response.ResponseStream.CopyToAsync(data);
                var metadata = response.Metadata.Keys.ToDictionary(k => k.Replace("x-amz-meta-", "", StringComparison.OrdinalIgnoreCase), k => response.Metadata[k]);
                all[item.Key] = new TestObject(item.Key, data.ToArray(), response.Headers.ContentType, metadata);
            }

            if (page.IsTruncated != true) return all;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await S3TestServer.DeleteBucketAsync(Name);
        _client.Dispose();
    }
}

internal sealed class AzureTestBucket : TestBucket
{
    private readonly BlobContainerClient _container;

    public AzureTestBucket()
    {
        Name = Azurite.NewContainerName("bkt");
        _container = Azurite.Service().GetBlobContainerClient(Name);
    }

    public override string Service => "azure";

    public override string Name { get; }

    public override string Url(string prefix = "") => $"azure:{Name}" + (prefix.Length > 0 ? "/" + prefix : "");

    public override BucketOptions Options(string prefix = "") =>
        new() { Url = Url(prefix), AccountName = Azurite.AccountName, AccountKey = Azurite.AccountKey, Endpoint = Azurite.Endpoint, Timeout = TimeSpan.FromSeconds(60) };

    public override Task CreateAsync() => _container.CreateAsync();

    public override Task PutAsync(TestObject item) =>
        _container.GetBlobClient(item.Key).UploadAsync(new BinaryData(item.Data), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = item.ContentType },
            Metadata = item.Metadata.ToDictionary(),
        });

    public override Task DeleteAsync(string key) => _container.DeleteBlobAsync(key);

    public override async Task<SortedDictionary<string, TestObject>> ReadAllAsync()
    {
        var all = new SortedDictionary<string, TestObject>(StringComparer.Ordinal);
        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata }))
        {
            var content = await _container.GetBlobClient(item.Name).DownloadContentAsync();
            all[item.Name] = new TestObject(item.Name, content.Value.Content.ToArray(), content.Value.Details.ContentType,
                new Dictionary<string, string>(content.Value.Details.Metadata));
        }

        return all;
    }

    public override async ValueTask DisposeAsync() => await Azurite.DeleteContainerAsync(Name);
}
