using Cairn.Storage;
using Cairn.Storage.Rest;

namespace Cairn.Tests.Storage.Rest;

/// <summary>What the REST and rclone stores do beyond the common contract: server errors, refusals, cancelled uploads, one rclone child.</summary>
public sealed class RestBlobStoreTests : IAsyncDisposable
{
    private readonly string _name = RestTestServers.NewName();
    private readonly List<IBlobStore> _stores = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores) await store.DisposeAsync();
        RestTestServers.DeleteDirectory(Path.Combine(RestTestServers.RestRoot, _name));
        RestTestServers.DeleteDirectory(RcloneDirectory);
    }

    private string RcloneDirectory => Path.Combine(RestTestServers.RcloneRoot, _name);

    public static TheoryData<string> Kinds => ["rest", "rclone"];

    /// <summary>The folder the store of <paramref name="kind"/> keeps its repository in, and the store.</summary>
    private async Task<(string Folder, IBlobStore Store)> OpenAsync(string kind, TransferOptions? transfer = null)
    {
        transfer ??= new TransferOptions();
        IBlobStore store;
        string folder;
        if (kind == "rest")
        {
            store = new RestBlobStore(RestEndpoint.Parse($"rest:{RestTestServers.Url}/{_name}", RestTestServers.Credentials), transfer);
            folder = Path.Combine(RestTestServers.RestRoot, _name);
        }
        else
        {
            store = RestBlobStore.ForRclone(new RcloneOptions
            {
                Remote = $"{RestTestServers.RcloneRemote}:{RcloneDirectory}",
                Environment = new Dictionary<string, string> { ["RCLONE_CONFIG"] = RestTestServers.RcloneConfig },
            }, transfer);
            folder = RcloneDirectory;
        }

        _stores.Add(store);
        await ((IContainerStore)store).CreateContainerIfMissingAsync(CancellationToken.None);
        return (folder, store);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_server_error_is_transient_and_names_the_blob(string kind)
    {
        var (folder, store) = await OpenAsync(kind);
        var name = new BlobName(BlobKind.Index, "ab" + new string('0', 62));
        // A directory where the blob's file should go: the server cannot write it and answers 500.
        Directory.CreateDirectory(Path.Combine(folder, "index", name.Name, "sub"));

        var e = await Assert.ThrowsAsync<StorageException>(() => store.PutAsync(name, new byte[100]));

        Assert.True(e.IsTransient);
        Assert.Contains("500", e.Message);
        Assert.Contains(name.ToString(), e.Message);
        // rclone: the reason comes from rclone's own log.
        if (kind == "rclone") Assert.Contains("(rclone: ", e.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_put_cancelled_midway_leaves_no_blob(string kind)
    {
        var (folder, store) = await OpenAsync(kind);
        var name = new BlobName(BlobKind.Pack, "cd" + new string('1', 62));
        using var cancel = new CancellationTokenSource();
        await using var content = new StallingStream(8 << 20, stallAfter: 2 << 20, cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync(name, content, cancel.Token));

        // rclone drops the partial file when it notices the aborted request, which may be just after the client gave up;
        // listing is what shows it (it also refreshes rclone's object cache, which a stat during that moment could fill).
        // The server may even start writing the file just after the client gave up (from data already in flight).
        var file = Path.Combine(folder, "data", name.Name[..2], name.Name);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await ListAsync(store, BlobKind.Pack)).Count > 0 || File.Exists(file))
        {
            Assert.True(DateTime.UtcNow < deadline, "the cancelled upload left a blob behind");
            await Task.Delay(50);
        }

        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.StatAsync(name));
    }

    [Fact]
    public async Task An_append_only_server_refuses_deletes_as_access_denied()
    {
        using var server = new PrivateRcloneServer("--append-only");
        await using var store = new RestBlobStore(RestEndpoint.Parse($"rest:{server.Url}/repo"), new TransferOptions());
        var name = new BlobName(BlobKind.Snapshot, "ef" + new string('2', 62));
        await store.PutAsync(name, new byte[10]);

        var e = await Assert.ThrowsAsync<StorageAccessDeniedException>(() => store.DeleteAsync(name));

        Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
        Assert.Contains("append-only", e.Message);
        Assert.Equal(10, (await store.StatAsync(name)).Length);
    }

    [Fact]
    public async Task Parallel_transfers_share_one_rclone_child_in_its_own_session_which_stops_with_the_store()
    {
        var (_, store) = await OpenAsync("rclone", new TransferOptions { Connections = 8 });
        var names = Enumerable.Range(0, 24).Select(i => new BlobName(BlobKind.Pack, $"{i:x2}" + new string('3', 62))).ToList();

        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 12 },
            async (name, ct) => await store.PutAsync(name, new byte[300_000], ct));

        var child = Assert.Single(RestTestServers.RcloneChildren(_name));
        // In a session of its own, so a Ctrl-C at the terminal does not kill it before Cairn has cleaned up.
        Assert.NotEqual(RestTestServers.SessionOf("self"), RestTestServers.SessionOf(child.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(names.Count, (await ListAsync(store, BlobKind.Pack)).Count);
        await store.DisposeAsync();
        _stores.Remove(store);
        Assert.Empty(RestTestServers.RcloneChildren(_name));
    }

    [Fact]
    public async Task A_missing_repository_is_not_found_for_reads_and_init_creates_it()
    {
        await using var store = new RestBlobStore(RestEndpoint.Parse($"rest:{RestTestServers.Url}/{_name}", RestTestServers.Credentials), new TransferOptions());

        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.StatAsync(BlobName.Config));
        Assert.Empty(await ListAsync(store, BlobKind.Snapshot));
        Assert.False(Directory.Exists(Path.Combine(RestTestServers.RestRoot, _name)));

        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        await store.CreateContainerIfMissingAsync(CancellationToken.None);

        Assert.True(Directory.Exists(Path.Combine(RestTestServers.RestRoot, _name, "snapshots")));
    }

    private static async Task<List<BlobInfo>> ListAsync(IBlobStore store, BlobKind kind)
    {
        var all = new List<BlobInfo>();
        await foreach (var info in store.ListAsync(kind)) all.Add(info);
        return all;
    }

    /// <summary>A seekable stream of zeros that, after <c>stallAfter</c> bytes, cancels the upload and waits for the cancellation.</summary>
    private sealed class StallingStream(long length, long stallAfter, CancellationTokenSource cancel) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Position >= stallAfter)
            {
                await cancel.CancelAsync();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var n = (int)Math.Min(buffer.Length, stallAfter - Position);
            buffer.Span[..n].Clear();
            Position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the upload reads asynchronously");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
