using System.Diagnostics;
using Cairn.Components;
using Cairn.Components.Redis;
using Cairn.Snapshots;
using StackExchange.Redis;

namespace Cairn.Tests.Components.Redis;

/// <summary>
/// The redis component against the real test server, through a real repository. Each test fills its own numbered
/// database (db 0 holds the server script's keys and stays untouched), and the tests of this class run one at a time.
/// </summary>
public sealed class RedisComponentTests : IAsyncLifetime
{
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync() =>
        _connection = await RedisConnector.ConnectAsync(RedisServer.Host, RedisServer.Port, null, RedisServer.Password, CancellationToken.None);

    public async Task DisposeAsync() => await _connection.DisposeAsync();

    private static RedisOptions Options(params int[] databases) =>
        new() { Host = RedisServer.Host, Port = RedisServer.Port, Password = RedisServer.Password, Databases = databases };

    [Fact]
    public async Task Deleted_and_changed_keys_come_back_with_their_values_and_ttls()
    {
        var db = _connection.GetDatabase(3);
        await FillAsync(db, "t1");
        var original = await ContentAsync(db);
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new RedisComponent("cache", Options(3));

        var snapshot = await harness.BackupAsync("cache", component);

        var entry = Assert.Single(snapshot.Components!);
        Assert.True(entry.Status == SnapshotStatus.Complete, entry.Error);
        Assert.Contains("redis-cli", entry.Tool, StringComparison.Ordinal);
        Assert.StartsWith("Redis 7", entry.ServerVersion, StringComparison.Ordinal);
        Assert.Equal([$"db3: {original.Count} keys"], entry.Items);

        await db.KeyDeleteAsync([.. original.Keys.Where(k => k.StartsWith("user:", StringComparison.Ordinal)).Select(k => (RedisKey)k)]);
        await db.StringSetAsync("t1:str:1", "changed");
        await db.HashSetAsync("t1:hash", "f1", "changed");
        await db.KeyPersistAsync("t1:ttl:1");
        await db.StringSetAsync("t1:new-after-backup", "stays");

        await harness.RestoreAsync(snapshot, "cache", component, new ComponentRestoreRequest());

        var restored = await ContentAsync(db);
        Assert.Equal("stays", (string?)await db.StringGetAsync("t1:new-after-backup"));
        restored.Remove("t1:new-after-backup");
        AssertSameContent(original, restored);
        await db.ExecuteAsync("FLUSHDB");
    }

    [Fact]
    public async Task A_key_pattern_restores_only_the_matching_keys_and_as_moves_a_db()
    {
        var db = _connection.GetDatabase(4);
        await FillAsync(db, "t2");
        var original = await ContentAsync(db);
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new RedisComponent("cache", Options(4) with { Rdb = false });
        var snapshot = await harness.BackupAsync("cache", component);
        await db.ExecuteAsync("FLUSHDB");

        await harness.RestoreAsync(snapshot, "cache", component, new ComponentRestoreRequest { Key = "user:*" });

        var restored = await ContentAsync(db);
        var users = original.Where(kv => kv.Key.StartsWith("user:", StringComparison.Ordinal)).ToDictionary();
        Assert.Equal(20, users.Count);
        AssertSameContent(users, restored);

        var other = _connection.GetDatabase(9);
        await other.ExecuteAsync("FLUSHDB");
        await harness.RestoreAsync(snapshot, "cache", component, new ComponentRestoreRequest { Database = "4", NewName = "db9" });
        AssertSameContent(original, await ContentAsync(other));
        await db.ExecuteAsync("FLUSHDB");
        await other.ExecuteAsync("FLUSHDB");
    }

    [Fact]
    public async Task The_rdb_restored_into_a_data_directory_loads_in_a_second_server_with_the_same_keys()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new RedisComponent("cache", Options() with { Logical = false });
        var snapshot = await harness.BackupAsync("cache", component);
        Assert.True(snapshot.Components![0].Status == SnapshotStatus.Complete, snapshot.Components[0].Error);
        var dataDirectory = Path.Combine(harness.Root, "redis-data");

        await harness.RestoreAsync(snapshot, "cache", component, new ComponentRestoreRequest { Target = dataDirectory });

        Assert.Equal(["dump.rdb"], Directory.GetFileSystemEntries(dataDirectory).Select(Path.GetFileName));
        using var second = StartServer(dataDirectory, RedisServer.SparePort, Path.Combine(harness.Root, "redis-second.log"));
        try
        {
            await using var copy = await ConnectWhenReadyAsync(RedisServer.SparePort);
            var expected = await ContentAsync(_connection.GetDatabase(0));
            Assert.True(expected.Count > 700, $"db 0 holds {expected.Count} keys");
            AssertSameContent(expected, await ContentAsync(copy.GetDatabase(0)));

            // A running server on the directory: restoring over its file is refused.
            var e = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "cache", component, new ComponentRestoreRequest { Target = dataDirectory }));
            Assert.Contains($"pid {second.Id}", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_second_backup_of_unchanged_data_adds_little_to_the_repository()
    {
        var db = _connection.GetDatabase(5);
        await FillAsync(db, "t4", big: true);
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new RedisComponent("cache", Options(5));

        var first = (await harness.BackupAsync("cache", component)).Components![0];
        var unchanged = (await harness.BackupAsync("cache", component)).Components![0];
        await db.StringSetAsync("t4:str:3", "one change");
        var changed = (await harness.BackupAsync("cache", component)).Components![0];

        Assert.Equal(SnapshotStatus.Complete, changed.Status);
        // 5 MB of values, in the RDB and in the export (about 10 MB). Unchanged, the export is byte-identical (absolute
        // expiries from PEXPIRETIME) and only the RDB's first chunk is new (its header holds the snapshot's time). One
        // changed key re-stores the chunks around it in both (chunks average 1 MiB), nothing else.
        Assert.True(first.BytesAdded > 5_000_000, $"first added {first.BytesAdded}");
        Assert.True(unchanged.BytesAdded < first.BytesAdded / 5, $"first added {first.BytesAdded}, the unchanged second {unchanged.BytesAdded}");
        Assert.True(changed.BytesAdded < first.BytesAdded / 2, $"first added {first.BytesAdded}, after one change {changed.BytesAdded}");
        await db.ExecuteAsync("FLUSHDB");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_wrong_password_fails_the_snapshot_with_the_servers_words(bool rdb)
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var snapshot = await harness.BackupAsync("cache", new RedisComponent("cache", Options(3) with { Password = "wrong", Rdb = rdb }));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("WRONGPASS", snapshot.Components![0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_fails_the_snapshot()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var snapshot = await harness.BackupAsync("cache", new RedisComponent("cache", Options() with { Port = 26399 }));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("Connection refused", snapshot.Components![0].Error, StringComparison.Ordinal);
    }

    // Keys of every type; some with TTLs; 20 "user:" keys for the pattern test; optionally 5 MB of random values.
    private static async Task FillAsync(IDatabase db, string prefix, bool big = false)
    {
        await db.ExecuteAsync("FLUSHDB");
        var batch = new List<Task>();
        var random = new Random(5);
        for (var i = 0; i < (big ? 2000 : 200); i++) batch.Add(db.StringSetAsync($"{prefix}:str:{i}", big ? Convert.ToBase64String(RandomBytes(random, 2000)) : $"value {i}"));
        for (var i = 0; i < 20; i++) batch.Add(db.StringSetAsync($"user:{i}", $"user {i}", TimeSpan.FromHours(1 + i)));
        for (var i = 0; i < 5; i++) batch.Add(db.StringSetAsync($"{prefix}:ttl:{i}", "expiring", TimeSpan.FromMinutes(30 + i)));
        batch.Add(db.HashSetAsync($"{prefix}:hash", [.. Enumerable.Range(0, 50).Select(i => new HashEntry($"f{i}", $"v{i}"))]));
        batch.Add(db.ListRightPushAsync($"{prefix}:list", [.. Enumerable.Range(0, 40).Select(i => (RedisValue)$"e{i}")]));
        batch.Add(db.SetAddAsync($"{prefix}:set", [.. Enumerable.Range(0, 30).Select(i => (RedisValue)$"m{i}")]));
        batch.Add(db.SortedSetAddAsync($"{prefix}:zset", [.. Enumerable.Range(0, 30).Select(i => new SortedSetEntry($"z{i}", i * 1.5))]));
        batch.Add(db.StringSetAsync((RedisKey)new byte[] { 0, 0xff, 10, (byte)prefix[1] }, new byte[] { 1, 0, 2 }));
        await Task.WhenAll(batch);
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    // Every key: its type and value in a canonical text (members sorted where order is not part of the value; DUMP
    // payloads are not comparable, a set's members come out in hash-table order) and its remaining TTL in ms (-1 none).
    private static async Task<Dictionary<string, (string Value, long Ttl)>> ContentAsync(IDatabase db)
    {
        var server = db.Multiplexer.GetServers()[0];
        var result = new Dictionary<string, (string, long)>();
        await foreach (var key in server.KeysAsync(db.Database, pageSize: 500))
        {
            var ttl = await db.KeyTimeToLiveAsync(key);
            result[RedisKeyFile.Show(key!)] = (await ValueAsync(db, key), ttl is null ? -1 : (long)ttl.Value.TotalMilliseconds);
        }
        return result;
    }

    private static async Task<string> ValueAsync(IDatabase db, RedisKey key)
    {
        static string Hex(RedisValue v) => Convert.ToHexString((byte[])v!);
        var type = await db.KeyTypeAsync(key);
        IEnumerable<string> parts = type switch
        {
            RedisType.String => [Hex(await db.StringGetAsync(key))],
            RedisType.List => (await db.ListRangeAsync(key)).Select(Hex),
            RedisType.Set => (await db.SetMembersAsync(key)).Select(Hex).Order(StringComparer.Ordinal),
            RedisType.SortedSet => (await db.SortedSetRangeByRankWithScoresAsync(key)).Select(e => Hex(e.Element) + "=" + e.Score.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            RedisType.Hash => (await db.HashGetAllAsync(key)).Select(e => Hex(e.Name) + "=" + Hex(e.Value)).Order(StringComparer.Ordinal),
            _ => throw new InvalidOperationException($"type {type} of {key}"),
        };
        return type + ":" + string.Join(",", parts);
    }

    private static void AssertSameContent(Dictionary<string, (string Value, long Ttl)> expected, Dictionary<string, (string Value, long Ttl)> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, (value, ttl)) in expected)
        {
            Assert.True(value == actual[key].Value, $"value of {key} differs");
            if (ttl < 0) Assert.True(actual[key].Ttl < 0, $"{key} has a TTL it did not have");
            else Assert.InRange(actual[key].Ttl, ttl - 60_000, ttl + 1_000);
        }
    }

    private static Process StartServer(string directory, int port, string log) =>
        Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--logfile", log },
        })!;

    private static async Task<ConnectionMultiplexer> ConnectWhenReadyAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await RedisConnector.ConnectAsync("127.0.0.1", port, null, null, CancellationToken.None);
            }
            catch (ComponentFailedException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }
}
