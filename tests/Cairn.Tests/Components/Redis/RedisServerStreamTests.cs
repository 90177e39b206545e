using System.Diagnostics;
using Cairn.Components.Redis;
using Cairn.Components.Tools;
using StackExchange.Redis;

namespace Cairn.Tests.Components.Redis;

/// <summary>The two backup streams against the real test server, without a repository.</summary>
public sealed class RedisServerStreamTests
{
    [Fact]
    public async Task Redis_cli_rdb_output_filtered_is_an_rdb_file_redis_check_rdb_accepts()
    {
        var options = new RedisOptions { Host = RedisServer.Host, Port = RedisServer.Port, Password = RedisServer.Password };
        var file = Path.Combine(Path.GetTempPath(), "cairn-rdb-" + Guid.NewGuid().ToString("N") + ".rdb");
        try
        {
            RdbStream? rdb = null;
            await ToolRunner.RunReadingAsync(RedisComponent.RdbCommand(options), async (stdout, ct) =>
            {
                rdb = new RdbStream(stdout);
                await using var output = File.Create(file);
                await rdb.CopyToAsync(output, ct);
            }, CancellationToken.None);

            Assert.True(rdb!.MarkRemoved);
            var check = Process.Start(new ProcessStartInfo("redis-check-rdb", file) { RedirectStandardOutput = true })!;
            var report = await check.StandardOutput.ReadToEndAsync();
            await check.WaitForExitAsync();
            Assert.True(check.ExitCode == 0, report);
            Assert.Contains("RDB looks OK", report, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_key_export_holds_every_key_with_its_dump_and_absolute_expiry()
    {
        await using var connection = await RedisConnector.ConnectAsync(RedisServer.Host, RedisServer.Port, null, RedisServer.Password, CancellationToken.None);
        var server = connection.GetServer(RedisServer.Host, RedisServer.Port);
        var db = connection.GetDatabase(0);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        using var copy = new MemoryStream();
        await using (var export = new RedisKeyExportStream(server, db, TimeProvider.System))
        {
            await export.CopyToAsync(copy);
            Assert.Equal(await server.DatabaseSizeAsync(0), export.Count);
        }
        copy.Position = 0;
        var entries = new Dictionary<string, RedisKeyFile.Entry>();
        await foreach (var e in RedisKeyFile.ReadAsync(copy, "db0", CancellationToken.None)) entries[RedisKeyFile.Show(e.Key)] = e;

        Assert.Equal(await server.DatabaseSizeAsync(0), entries.Count);
        Assert.Equal(-1, entries["str:1"].ExpiresAtMs);
        Assert.Equal((byte[])(await db.KeyDumpAsync("hash:7"))!, entries["hash:7"].Payload);
        // str:ttl:5 was set with a TTL of a day when the server started: its recorded expiry is now + its remaining TTL.
        var remaining = (long)(await db.KeyTimeToLiveAsync("str:ttl:5"))!.Value.TotalMilliseconds;
        Assert.InRange(entries["str:ttl:5"].ExpiresAtMs - before, remaining - 5_000, remaining + 5_000);
        Assert.Contains("odd key with spaces", entries.Keys);
    }

    [Fact]
    public async Task A_wrong_password_is_a_component_failure_quoting_the_server()
    {
        var e = await Assert.ThrowsAsync<Cairn.Components.ComponentFailedException>(() =>
            RedisConnector.ConnectAsync(RedisServer.Host, RedisServer.Port, null, "wrong", CancellationToken.None));
        Assert.Contains("WRONGPASS", e.Message, StringComparison.Ordinal);
    }
}
