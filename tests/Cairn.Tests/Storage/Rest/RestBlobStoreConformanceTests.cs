using Cairn.Storage;
using Cairn.Storage.Rest;

namespace Cairn.Tests.Storage.Rest;

/// <summary>The REST store against rclone serve restic (tests/servers/rclone.sh), each test in a fresh repository folder.</summary>
public sealed class RestBlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _name = RestTestServers.NewName();

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var store = new RestBlobStore(RestEndpoint.Parse($"rest:{RestTestServers.Url}/{_name}", RestTestServers.Credentials), new TransferOptions());
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        return store;
    }

    protected override Task CleanupAsync()
    {
        RestTestServers.DeleteDirectory(Path.Combine(RestTestServers.RestRoot, _name));
        return Task.CompletedTask;
    }
}

/// <summary>
/// The rclone: store: a private rclone serve restic --stdio child per test, over the local-type remote of the test
/// config, in a fresh folder.
/// </summary>
public sealed class RcloneBlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _directory = Path.Combine(RestTestServers.RcloneRoot, RestTestServers.NewName());

    protected override Task<IBlobStore> CreateStoreAsync() => Task.FromResult<IBlobStore>(RestBlobStore.ForRclone(Options(), new TransferOptions()));

    protected override Task CleanupAsync()
    {
        RestTestServers.DeleteDirectory(_directory);
        return Task.CompletedTask;
    }

    private RcloneOptions Options() => new()
    {
        Remote = $"{RestTestServers.RcloneRemote}:{_directory}",
        Environment = new Dictionary<string, string> { ["RCLONE_CONFIG"] = RestTestServers.RcloneConfig },
    };
}
