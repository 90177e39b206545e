using System.Text;
using Cairn.Components;
using Cairn.Components.Redis;

namespace Cairn.Tests.Components.Redis;

public sealed class RedisFormatTests
{
    [Fact]
    public async Task Key_files_round_trip_binary_keys_values_and_expiries()
    {
        var entries = new[]
        {
            new RedisKeyFile.Entry("plain"u8.ToArray(), -1, [1, 2, 3]),
            new RedisKeyFile.Entry([0, 0xff, (byte)'\n'], 1_900_000_000_123, new byte[70_000]),
            new RedisKeyFile.Entry([], 5, []),
        };
        var file = Write(entries);

        var read = await ReadAllAsync(file);

        Assert.Equal(entries.Length, read.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            Assert.Equal(entries[i].Key, read[i].Key);
            Assert.Equal(entries[i].ExpiresAtMs, read[i].ExpiresAtMs);
            Assert.Equal(entries[i].Payload, read[i].Payload);
        }
        Assert.Equal("CAIRN-REDIS-KEYS 1\n"u8.ToArray(), file[..19]);
    }

    [Theory]
    [InlineData(1)]   // no end record
    [InlineData(9)]   // the end record cut
    [InlineData(20)]  // inside a record
    public async Task A_truncated_key_file_is_damaged_not_short(int cut)
    {
        var file = Write([new RedisKeyFile.Entry("k"u8.ToArray(), -1, new byte[30])]);

        var e = await Assert.ThrowsAsync<IntegrityException>(() => ReadAllAsync(file[..^cut]));
        Assert.Contains("db0.keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_end_record_with_another_count_is_damaged()
    {
        using var stream = new MemoryStream();
        stream.Write(RedisKeyFile.Magic);
        RedisKeyFile.Write(stream, new RedisKeyFile.Entry("k"u8.ToArray(), -1, [1]));
        RedisKeyFile.WriteEnd(stream, 2);

        await Assert.ThrowsAsync<IntegrityException>(() => ReadAllAsync(stream.ToArray()));
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("session:*", "session:42", true)]
    [InlineData("session:*", "user:42", false)]
    [InlineData("h?llo", "hello", true)]
    [InlineData("h?llo", "hllo", false)]
    [InlineData("h[ae]llo", "hallo", true)]
    [InlineData("h[ae]llo", "hillo", false)]
    [InlineData("h[^e]llo", "hallo", true)]
    [InlineData("h[^e]llo", "hello", false)]
    [InlineData("h[a-c]llo", "hbllo", true)]
    [InlineData("h[a-c]llo", "hdllo", false)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    [InlineData("*:ttl:*", "str:ttl:3", true)]
    [InlineData("str:1*", "str:100", true)]
    [InlineData("str:1", "str:10", false)]
    public void Globs_match_as_redis_matches_them(string pattern, string key, bool expected)
    {
        Assert.Equal(expected, RedisGlob.IsMatch(Encoding.UTF8.GetBytes(pattern), Encoding.UTF8.GetBytes(key)));
    }

    [Fact]
    public async Task The_rdb_filter_removes_the_end_of_transfer_mark_redis_cli_leaves_on_stdout()
    {
        var rdb = FakeRdb(100_000);
        var mark = Encoding.ASCII.GetBytes(new string('a', 20) + "0123456789abcdef0123");

        Assert.Equal(rdb, await FilterAsync([.. rdb, .. mark]));
        Assert.Equal(rdb, await FilterAsync(rdb));
    }

    [Fact]
    public async Task The_rdb_filter_refuses_output_that_is_not_an_rdb_file()
    {
        await Assert.ThrowsAsync<ComponentFailedException>(() => FilterAsync("AUTH failed: WRONGPASS"u8.ToArray()));
        await Assert.ThrowsAsync<ComponentFailedException>(() => FilterAsync([]));
    }

    [Fact]
    public void The_rdb_command_passes_the_password_in_the_environment_only()
    {
        var command = RedisComponent.RdbCommand(new RedisOptions { Host = "cache", Port = 6380, Username = "backup", Password = "hunter2" });

        Assert.Equal(["-h", "cache", "-p", "6380", "--user", "backup", "--rdb", "-"], command.Arguments);
        Assert.Equal("hunter2", command.Environment["REDISCLI_AUTH"]);
        Assert.Equal("redis-tools", command.DebianPackage);
    }

    // "REDIS0010", some body, the end opcode and an 8-byte checksum with bytes that are not hex digits.
    private static byte[] FakeRdb(int bodyLength)
    {
        var random = new Random(7);
        var body = new byte[bodyLength];
        random.NextBytes(body);
        return [.. "REDIS0010"u8, .. body, 0xFF, 0x01, 0xfe, 0x33, 0x90, 0x00, 0x7f, 0xaa, 0x10];
    }

    private static async Task<byte[]> FilterAsync(byte[] output)
    {
        var filter = new RdbStream(new MemoryStream(output));
        using var copy = new MemoryStream();
        await filter.CopyToAsync(copy, 777);
        return copy.ToArray();
    }

    private static byte[] Write(IEnumerable<RedisKeyFile.Entry> entries)
    {
        using var stream = new MemoryStream();
        stream.Write(RedisKeyFile.Magic);
        var count = 0;
        foreach (var entry in entries)
        {
            RedisKeyFile.Write(stream, entry);
            count++;
        }
        RedisKeyFile.WriteEnd(stream, count);
        return stream.ToArray();
    }

    private static async Task<List<RedisKeyFile.Entry>> ReadAllAsync(byte[] file)
    {
        var list = new List<RedisKeyFile.Entry>();
        await foreach (var entry in RedisKeyFile.ReadAsync(new MemoryStream(file), "redis/keys/db0.keys", CancellationToken.None)) list.Add(entry);
        return list;
    }
}
