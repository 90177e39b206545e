using Cairn.Storage;
using Cairn.Tests.Maintenance;

namespace Cairn.Tests.Storage.Azure;

/// <summary>
/// Uploads stream from the spooled file: a put of a 64 MiB file allocates a small fraction of that, in one request
/// and as staged blocks. Runs alone (the memory-measurement collection) so other tests' allocations do not count.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public sealed class AzureStreamingTests : IAsyncLifetime
{
    private const int Size = 64 << 20;
    private readonly string _container = Azurite.NewContainerName("streaming");
    private readonly string _file = Path.Combine(Path.GetTempPath(), "cairn-azure-stream-" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        var data = new byte[Size];
        new Random(64).NextBytes(data);
        await File.WriteAllBytesAsync(_file, data);
    }

    public async Task DisposeAsync()
    {
        File.Delete(_file);
        await Azurite.DeleteContainerAsync(_container);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_64_MiB_put_from_a_file_is_not_buffered_in_memory(bool staged)
    {
        await using var store = Azurite.Store(_container, singleUploadLimit: staged ? 16 << 20 : null, blockSize: staged ? 8 << 20 : null);
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        await store.PutAsync(new BlobName(BlobKind.Lock, "warmup"), new byte[100]);
        var name = new BlobName(BlobKind.Pack, staged ? "aa01" : "aa02");

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await using (var file = File.OpenRead(_file))
        {
            await store.PutAsync(name, file);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < Size / 8, $"a {Size >> 20} MiB put allocated {allocated >> 20} MiB");
        Assert.Equal(Size, (await store.StatAsync(name)).Length);
        var tail = new byte[1000];
        await store.ReadRangeAsync(name, Size - 1000, tail);
        Assert.Equal((await File.ReadAllBytesAsync(_file))[^1000..], tail);
    }
}
