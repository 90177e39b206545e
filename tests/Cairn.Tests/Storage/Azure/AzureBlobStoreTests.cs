using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Azure.Storage;
using Azure.Storage.Blobs.Models;
using BlobInfo = Cairn.Storage.BlobInfo;
using Azure.Storage.Sas;
using Cairn.Storage;
using Cairn.Storage.Azure;

namespace Cairn.Tests.Storage.Azure;

/// <summary>
/// What the Azure store does beyond the common contract, against Azurite: access tiers read back from the server,
/// archived reads and thaws, upload integrity, container creation, and each kind of failure as its own error.
/// </summary>
public sealed class AzureBlobStoreTests : IAsyncLifetime
{
    private readonly string _container = Azurite.NewContainerName("store");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Azurite.DeleteContainerAsync(_container);

    [Theory]
    [InlineData("Cool", "Cool")]
    [InlineData("cold", "Cold")]
    [InlineData("ARCHIVE", "Archive")]
    [InlineData("Hot", "Hot")]
    public async Task Data_packs_go_to_the_chosen_tier_and_metadata_stays_hot(string option, string tier)
    {
        await using var store = await NewStoreAsync(new TransferOptions { DataStorageClass = option });
        var pack = Name(BlobKind.Pack);
        await store.PutAsync(pack, Bytes(5000));
        var metadata = new[] { BlobName.Config, Name(BlobKind.Key), Name(BlobKind.Index), Name(BlobKind.Snapshot), Name(BlobKind.Lock) };
        foreach (var name in metadata) await store.PutAsync(name, Bytes(100));

        // What the server recorded, not what the store believes.
        var packProperties = (await store.Container.GetBlobClient(store.KeyOf(pack)).GetPropertiesAsync()).Value;
        Assert.Equal(tier, packProperties.AccessTier);
        Assert.False(packProperties.AccessTierInferred);
        foreach (var name in metadata)
        {
            var properties = (await store.Container.GetBlobClient(store.KeyOf(name)).GetPropertiesAsync()).Value;
            Assert.True(properties.AccessTier == "Hot" && !properties.AccessTierInferred, $"{name} is {properties.AccessTier}, explicit: {!properties.AccessTierInferred}");
        }

        // Stat and listings report the tier (null for Hot) and whether reading needs a thaw.
        var reported = tier == "Hot" ? null : tier;
        Assert.Equal(new BlobInfo(pack, 5000, reported, tier == "Archive"), await store.StatAsync(pack));
        Assert.Equal([new BlobInfo(pack, 5000, reported, tier == "Archive")], await ListAsync(store, BlobKind.Pack));
        Assert.Equal(new BlobInfo(metadata[2], 100), await store.StatAsync(metadata[2]));
    }

    [Fact]
    public async Task Without_a_tier_every_blob_takes_the_account_default()
    {
        await using var store = await NewStoreAsync();
        var pack = Name(BlobKind.Pack);
        await store.PutAsync(pack, Bytes(10));

        var properties = (await store.Container.GetBlobClient(store.KeyOf(pack)).GetPropertiesAsync()).Value;
        Assert.True(properties.AccessTierInferred);
        Assert.Equal(new BlobInfo(pack, 10), await store.StatAsync(pack));
    }

    [Theory]
    [InlineData("GLACIER")]
    [InlineData("Premium")]
    [InlineData("")]
    public void An_unknown_tier_is_a_usage_error_before_anything_is_contacted(string tier)
    {
        var e = Assert.Throws<CairnException>(() => Azurite.Store(_container, transfer: new TransferOptions { DataStorageClass = tier }));

        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains("Hot, Cool, Cold or Archive", e.Message);
    }

    [Fact]
    public async Task An_archived_pack_cannot_be_read_until_thawed_and_the_thaw_makes_it_hot()
    {
        await using var store = await NewStoreAsync(new TransferOptions { DataStorageClass = "Archive" });
        var pack = Name(BlobKind.Pack);
        var data = Bytes(3000);
        await store.PutAsync(pack, data);

        var whole = await Assert.ThrowsAsync<BlobArchivedException>(() => store.GetAsync(pack));
        var range = await Assert.ThrowsAsync<BlobArchivedException>(() => store.ReadRangeAsync(pack, 10, new byte[20]));
        Assert.Equal(pack, whole.Name);
        Assert.Equal("Archive", whole.StorageClass);
        Assert.False(whole.ThawInProgress);
        Assert.Equal(ExitCode.ColdStorage, range.ExitCode);
        Assert.Contains("--thaw", whole.Message);

        // Azurite changes the tier at once (real Azure keeps it in Archive with rehydrate-pending-to-hot for hours),
        // so here the thaw reports the pack readable straight away.
        Assert.Equal(ThawState.Readable, await store.RequestThawAsync(pack, new ThawRequest(Priority: "High"), CancellationToken.None));
        Assert.Equal("Hot", (await store.Container.GetBlobClient(store.KeyOf(pack)).GetPropertiesAsync()).Value.AccessTier);
        Assert.Equal(data, await store.GetAsync(pack));
        Assert.Equal(new BlobInfo(pack, 3000), await store.StatAsync(pack));
    }

    [Fact]
    public async Task Thawing_a_blob_that_is_not_archived_changes_nothing()
    {
        await using var store = await NewStoreAsync(new TransferOptions { DataStorageClass = "Cool" });
        var pack = Name(BlobKind.Pack);
        await store.PutAsync(pack, Bytes(10));

        Assert.Equal(ThawState.Readable, await store.RequestThawAsync(pack, new ThawRequest(), CancellationToken.None));
        Assert.Equal("Cool", (await store.Container.GetBlobClient(store.KeyOf(pack)).GetPropertiesAsync()).Value.AccessTier);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.RequestThawAsync(Name(BlobKind.Pack), new ThawRequest(), CancellationToken.None));
        var bad = await Assert.ThrowsAsync<CairnException>(() => store.RequestThawAsync(pack, new ThawRequest(Priority: "Urgent"), CancellationToken.None));
        Assert.Equal(ExitCode.Usage, bad.ExitCode);
    }

    [Fact]
    public void Rehydration_states_and_priorities_are_recognised()
    {
        Assert.True(AzureTiers.IsRehydrating("rehydrate-pending-to-hot"));
        Assert.True(AzureTiers.IsRehydrating("rehydrate-pending-to-cool"));
        Assert.True(AzureTiers.IsRehydrating("rehydrate-pending-to-cold"));
        Assert.False(AzureTiers.IsRehydrating(null));
        Assert.Equal(RehydratePriority.High, AzureTiers.ParsePriority("Expedited"));
        Assert.Equal(RehydratePriority.High, AzureTiers.ParsePriority("high"));
        Assert.Equal(RehydratePriority.Standard, AzureTiers.ParsePriority("Bulk"));
        Assert.Equal(RehydratePriority.Standard, AzureTiers.ParsePriority("Standard"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bytes_that_change_between_hashing_and_sending_are_refused_by_the_service(bool staged)
    {
        await using var store = await NewStoreAsync(singleUploadLimit: staged ? 64 << 10 : null, blockSize: staged ? 48 << 10 : null);
        var pack = Name(BlobKind.Pack);
        var existing = Name(BlobKind.Index);
        await store.PutAsync(existing, Bytes(10));
        using var content = new ChangingStream(Bytes(100_000));

        var e = await Assert.ThrowsAnyAsync<StorageException>(() => store.PutAsync(pack, content));

        // Corruption in flight: a retry (which hashes again) may succeed, so the error is transient.
        Assert.True(e.IsTransient);
        Assert.Contains("Md5Mismatch", e.Message);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.StatAsync(pack));
        Assert.Equal([existing], (await ListAsync(store, BlobKind.Index)).Select(b => b.Name));
        Assert.Empty(await ListAsync(store, BlobKind.Pack));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_upload_limit_paces_each_byte_once_though_the_store_hashes_before_sending(bool staged)
    {
        await using var inner = await NewStoreAsync(singleUploadLimit: staged ? 64 << 10 : null, blockSize: staged ? 48 << 10 : null);
        var limiter = new BandwidthLimiter(256L << 20);
        var store = new UploadLimitedBlobStore(inner, limiter);
        var data = Bytes(200_000);
        var pack = Name(BlobKind.Pack);

        await store.PutAsync(pack, new MemoryStream(data));

        // The MD5 pass reads the bytes too, but sends nothing: pacing it as well would halve the rate the limit allows.
        Assert.Equal(data.Length, limiter.BytesPaced);
        Assert.Equal(data, await inner.GetAsync(pack));
    }

    [Fact]
    public async Task A_put_from_a_stream_uploads_from_its_current_position()
    {
        await using var store = await NewStoreAsync();
        var data = Bytes(1000);
        using var content = new MemoryStream(data) { Position = 100 };
        var name = Name(BlobKind.Snapshot);

        await store.PutAsync(name, content);

        Assert.Equal(data[100..], await store.GetAsync(name));
    }

    [Fact]
    public async Task A_missing_container_is_reported_as_no_repository_and_init_creates_it()
    {
        await using var store = Azurite.Store(_container, "repo");

        var get = await Assert.ThrowsAsync<StorageLocationNotFoundException>(() => store.GetAsync(BlobName.Config));
        Assert.Equal(ExitCode.RepositoryNotFound, get.ExitCode);
        Assert.Contains($"'{_container}' does not exist", get.Message);
        Assert.Contains("cairn init", get.Message);
        await Assert.ThrowsAsync<StorageLocationNotFoundException>(() => store.PutAsync(Name(BlobKind.Lock), Bytes(1)));
        await Assert.ThrowsAsync<StorageLocationNotFoundException>(() => ListAsync(store, BlobKind.Snapshot));
        await store.DeleteAsync(Name(BlobKind.Lock));

        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        Assert.True((await Azurite.Service().GetBlobContainerClient(_container).ExistsAsync()).Value);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => store.GetAsync(BlobName.Config));
    }

    [Fact]
    public async Task Listings_skip_what_is_not_a_cairn_blob_and_what_is_outside_the_prefix()
    {
        await using var store = await NewStoreAsync(prefix: "a/b");
        var pack = Name(BlobKind.Pack);
        await store.PutAsync(pack, Bytes(5));
        await store.PutAsync(BlobName.Config, Bytes(6));
        foreach (var foreign in new[] { "a/b/data/ab/notes.txt", "a/b/data/zz", "a/b/configs", "a/b/config.bak", "a/b/keys/sub/abc", "a/bc/keys/abc", $"a/{pack.Path}" })
        {
            await store.Container.GetBlobClient(foreign).UploadAsync(BinaryData.FromString("x"));
        }

        Assert.Equal([new BlobInfo(pack, 5)], await ListAsync(store, BlobKind.Pack));
        Assert.Equal([new BlobInfo(BlobName.Config, 6)], await ListAsync(store, BlobKind.Config));
        Assert.Empty(await ListAsync(store, BlobKind.Key));
    }

    [Fact]
    public async Task A_wrong_account_key_is_refused_as_bad_credentials_without_showing_the_key()
    {
        var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        await using var store = new AzureBlobStore(new AzureBlobStoreOptions
        {
            Location = new AzureLocation(_container, ""),
            Credentials = AzureCredentials.FromAccountKey(Azurite.AccountName, wrongKey, new Uri(Azurite.Endpoint)),
        });

        var e = await Assert.ThrowsAsync<StorageAccessDeniedException>(() => store.StatAsync(BlobName.Config));

        Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
        Assert.False(e.IsTransient);
        Assert.Contains("AZURE_ACCOUNT_KEY", e.Message);
        Assert.DoesNotContain(wrongKey, e.ToString());
        var notBase64 = Assert.Throws<StorageAccessDeniedException>(() => new AzureBlobStore(new AzureBlobStoreOptions
        {
            Location = new AzureLocation(_container, ""),
            Credentials = AzureCredentials.FromAccountKey(Azurite.AccountName, "not base64!", new Uri(Azurite.Endpoint)),
        }));
        Assert.DoesNotContain("not base64!", notBase64.ToString());
    }

    [Fact]
    public async Task An_account_sas_works_and_a_forged_one_is_refused_without_being_shown()
    {
        await (await NewStoreAsync()).DisposeAsync();
        var key = new StorageSharedKeyCredential(Azurite.AccountName, Azurite.AccountKey);
        var builder = new AccountSasBuilder(AccountSasPermissions.All, DateTimeOffset.UtcNow.AddHours(1), AccountSasServices.Blobs, AccountSasResourceTypes.All);
        var sas = builder.ToSasQueryParameters(key).ToString();
        await using (var store = SasStore(sas))
        {
            var name = Name(BlobKind.Snapshot);
            await store.PutAsync(name, Bytes(42));
            Assert.Equal(Bytes(42), await store.GetAsync(name));
            Assert.Single(await ListAsync(store, BlobKind.Snapshot));
            await store.DeleteAsync(name);
        }

        var signature = System.Web.HttpUtility.ParseQueryString(sas)["sig"]!;
        var forged = sas.Replace(Uri.EscapeDataString(signature), Uri.EscapeDataString(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), StringComparison.Ordinal);
        Assert.NotEqual(sas, forged);
        await using var bad = SasStore(forged);
        var e = await Assert.ThrowsAsync<StorageAccessDeniedException>(() => bad.GetAsync(BlobName.Config));
        Assert.Contains("AZURE_ACCOUNT_SAS", e.Message);
        Assert.DoesNotContain(forged, e.ToString());
        Assert.DoesNotContain(Uri.EscapeDataString(System.Web.HttpUtility.ParseQueryString(forged)["sig"]!), e.ToString());
    }

    [Fact]
    public async Task A_container_sas_serves_an_existing_container_and_init_accepts_it()
    {
        await (await NewStoreAsync()).DisposeAsync();
        var permissions = BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Delete |
                          BlobContainerSasPermissions.List | BlobContainerSasPermissions.Create;
        var sas = new BlobSasBuilder(permissions, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = _container, Resource = "c" }
            .ToSasQueryParameters(new StorageSharedKeyCredential(Azurite.AccountName, Azurite.AccountKey)).ToString();
        await using var store = SasStore(sas);

        // A container SAS may not create containers; init must still go ahead when the container is there.
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        var name = Name(BlobKind.Key);
        await store.PutAsync(name, Bytes(7));
        Assert.Equal(Bytes(7), await store.GetAsync(name));
        Assert.Equal([new BlobInfo(name, 7)], await ListAsync(store, BlobKind.Key));
        await store.DeleteAsync(name);
        Assert.Empty(await ListAsync(store, BlobKind.Key));
    }

    [Fact]
    public async Task A_closed_port_is_unreachable()
    {
        await using var store = new AzureBlobStore(new AzureBlobStoreOptions
        {
            Location = new AzureLocation(_container, ""),
            Credentials = AzureCredentials.FromAccountKey(Azurite.AccountName, Azurite.AccountKey, new Uri($"http://127.0.0.1:{Azurite.FreePort()}/devstoreaccount1")),
        });

        var e = await Assert.ThrowsAsync<StorageUnreachableException>(() => store.GetAsync(BlobName.Config));

        Assert.Equal(ExitCode.StorageUnreachable, e.ExitCode);
        Assert.True(e.IsTransient);
        Assert.Contains("connection refused", e.Message);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out_after_the_request_timeout_as_a_transient_error()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var held = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true) held.Add(await silent.AcceptSocketAsync());
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        });
        await using var store = new AzureBlobStore(new AzureBlobStoreOptions
        {
            Location = new AzureLocation(_container, ""),
            Credentials = AzureCredentials.FromAccountKey(Azurite.AccountName, Azurite.AccountKey, new Uri($"http://127.0.0.1:{port}/devstoreaccount1")),
            Transfer = new TransferOptions { RequestTimeout = TimeSpan.FromSeconds(1) },
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var e = await Assert.ThrowsAnyAsync<StorageException>(() => store.StatAsync(BlobName.Config));

        Assert.True(e.IsTransient);
        Assert.Contains("timed out", e.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        silent.Stop();
        await accepting;
        foreach (var socket in held) socket.Dispose();
    }

    private async Task<AzureBlobStore> NewStoreAsync(TransferOptions? transfer = null, string prefix = "", long? singleUploadLimit = null, long? blockSize = null)
    {
        var store = Azurite.Store(_container, prefix, transfer, singleUploadLimit, blockSize);
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        return store;
    }

    private AzureBlobStore SasStore(string sas) => new(new AzureBlobStoreOptions
    {
        Location = new AzureLocation(_container, "sas"),
        Credentials = AzureCredentials.FromSas(Azurite.AccountName, sas, new Uri(Azurite.Endpoint)),
    });

    private static async Task<List<BlobInfo>> ListAsync(IBlobStore store, BlobKind kind)
    {
        var all = new List<BlobInfo>();
        await foreach (var info in store.ListAsync(kind)) all.Add(info);
        return all;
    }

    private static BlobName Name(BlobKind kind) => new(kind, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));

    private static byte[] Bytes(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        return data;
    }

    /// <summary>A seekable stream whose bytes differ on every pass from the start: what a failing disk or RAM would do.</summary>
    private sealed class ChangingStream(byte[] data) : Stream
    {
        private long _lastPosition = -1;
        private int _passes;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get; set; }

        public override int Read(Span<byte> buffer)
        {
            // Each read that starts at or before where the previous one did begins a new pass over the data.
            if (Position <= _lastPosition || _lastPosition < 0) _passes++;
            _lastPosition = Position;
            var start = (int)Position;
            var n = Math.Max(0, Math.Min(buffer.Length, data.Length - start));
            data.AsSpan(start, n).CopyTo(buffer);
            var flip = 50_000 + _passes;
            if (flip >= start && flip < start + n) buffer[flip - start] ^= 0xff;
            Position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => data.Length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
