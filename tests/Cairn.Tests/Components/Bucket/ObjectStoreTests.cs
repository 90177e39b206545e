using Cairn.Components.Bucket;

namespace Cairn.Tests.Components.Bucket;

// The bucket component's adapters over the repository stores' clients, against the real s3rver and Azurite.
public sealed class ObjectStoreTests
{
    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task Lists_reads_and_writes_objects_with_their_properties_under_a_prefix(string service)
    {
        await using var bucket = TestBucket.Create(service);
        await bucket.CreateAsync();
        var samples = TestBucket.SampleObjects();
        foreach (var item in samples) await bucket.PutAsync(item with { Key = "src/" + item.Key });
        await bucket.PutAsync(new TestObject("outside.txt", "x"u8.ToArray(), "text/plain", new Dictionary<string, string>()));

        await using (var store = ObjectStores.Open(bucket.Url("src"), bucket.Options("src"), _ => null))
        {
            var listed = new List<ListedObject>();
            await foreach (var item in store.ListAsync(CancellationToken.None)) listed.Add(item);
            Assert.Equal(samples.Select(s => s.Key).Order(StringComparer.Ordinal), listed.Select(l => l.Key).Order(StringComparer.Ordinal));
            Assert.Equal(samples.Single(s => s.Key == "data/big.bin").Data.Length, listed.Single(l => l.Key == "data/big.bin").Size);

            foreach (var sample in samples)
            {
                using var download = await store.GetAsync(sample.Key, CancellationToken.None);
                Assert.NotNull(download);
                using var copy = new MemoryStream();
                await download.Content.CopyToAsync(copy);
                Assert.Equal(sample.Data, copy.ToArray());
                Assert.Equal(sample.Data.Length, download.Length);
                Assert.Equal(sample.ContentType, download.Properties.ContentType);
                Assert.Equal(sample.Metadata.OrderBy(m => m.Key), download.Properties.Metadata.OrderBy(m => m.Key));
                Assert.False(string.IsNullOrEmpty(download.ETag));
            }

            Assert.Null(await store.GetAsync("no/such/key", CancellationToken.None));
        }

        // Writes from streams that cannot seek (as restore reads them from the repository), the large one in parts.
        await using (var target = ObjectStores.Open(bucket.Url("copy"), bucket.Options("copy"), _ => null))
        {
            foreach (var sample in samples)
            {
                var properties = new ObjectProperties { ContentType = sample.ContentType, CacheControl = "max-age=60", Metadata = new(sample.Metadata.ToDictionary()) };
                await target.PutAsync(sample.Key, sample.Data.Length, properties, new ForwardOnlyStream(sample.Data), CancellationToken.None);
            }
        }

        var stored = await bucket.ReadAllAsync();
        foreach (var sample in samples)
        {
            var copy = stored["copy/" + sample.Key];
            Assert.Equal(sample.Data, copy.Data);
            Assert.Equal(sample.ContentType, copy.ContentType);
            Assert.Equal(sample.Metadata.OrderBy(m => m.Key), copy.Metadata.OrderBy(m => m.Key));
        }
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task A_missing_bucket_fails_with_the_services_words(string service)
    {
        await using var bucket = TestBucket.Create(service);
        await using var store = ObjectStores.Open(bucket.Url(), bucket.Options(), _ => null);

        var e = await Assert.ThrowsAsync<Cairn.Components.ComponentFailedException>(async () =>
        {
            await foreach (var unused in store.ListAsync(CancellationToken.None)) { }
        });
        Assert.Contains(bucket.Name, e.Message, StringComparison.Ordinal);
        Assert.Contains(service == "s3" ? "NoSuchBucket" : "ContainerNotFound", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A stream that can only be read forward, in small pieces, like a file streamed out of a snapshot.</summary>
    internal sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 100_000), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
