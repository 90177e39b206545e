using Cairn.Storage;

namespace Cairn.Tests.Storage.Azure;

/// <summary>The Azure store against Azurite, each test in a fresh container, under a two-level prefix.</summary>
public sealed class AzureBlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _container = Azurite.NewContainerName("conformance");

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var store = Azurite.Store(_container, "backups/host1");
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        return store;
    }

    protected override Task CleanupAsync() => Azurite.DeleteContainerAsync(_container);
}

/// <summary>
/// The same contract when every blob over 1 MiB goes up as staged blocks committed by a block list: the path real
/// multi-hundred-MiB blobs take, exercised here with small limits.
/// </summary>
public sealed class AzureStagedBlocksConformanceTests : BlobStoreConformanceTests
{
    private readonly string _container = Azurite.NewContainerName("blocks");

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var store = Azurite.Store(_container, singleUploadLimit: 1 << 20, blockSize: 384 << 10);
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        return store;
    }

    protected override Task CleanupAsync() => Azurite.DeleteContainerAsync(_container);
}
