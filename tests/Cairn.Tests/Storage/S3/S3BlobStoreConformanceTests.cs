using Cairn.Storage;
using Cairn.Storage.S3;

namespace Cairn.Tests.Storage.S3;

/// <summary>The S3 store against s3rver, at the root of a fresh bucket for each test.</summary>
public sealed class S3BlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _bucket = S3TestServer.NewBucketName("conf");

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        await S3TestServer.CreateBucketAsync(_bucket);
        return new S3BlobStore(S3TestServer.StoreOptions(_bucket));
    }

    protected override Task CleanupAsync() => S3TestServer.DeleteBucketAsync(_bucket);
}

/// <summary>
/// The S3 store under a two-level key prefix of a fresh bucket that also holds keys outside the prefix and stray keys
/// inside it, which listings must not report.
/// </summary>
public sealed class S3PrefixedBlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _bucket = S3TestServer.NewBucketName("conf-prefix");

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        await S3TestServer.CreateBucketAsync(_bucket);
        using var admin = S3TestServer.AdminClient();
        // Neighbours: another repository's blobs, a key that only starts like ours, and non-blob keys in our folders.
        foreach (var key in new[] { "other/repo/config", "other/repo/data/ab/abcd", "team/backups-old/config", "team/backups/data/ab/README.txt",
                     "team/backups/data/ab/", "team/backups/keys/not-a-blob.json", "team/backups/configuration" })
        {
            await admin.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = _bucket, Key = key, ContentBody = "x", UseChunkEncoding = false });
        }

        return new S3BlobStore(S3TestServer.StoreOptions(_bucket, "team/backups"));
    }

    protected override Task CleanupAsync() => S3TestServer.DeleteBucketAsync(_bucket);
}
