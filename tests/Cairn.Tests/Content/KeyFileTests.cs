using System.Diagnostics;
using System.Text;
using Cairn.Content.Crypto;

namespace Cairn.Tests.Content;

public sealed class KeyFileTests
{
    private static readonly DateTimeOffset s_created = new(2026, 11, 23, 9, 30, 0, TimeSpan.Zero);

    // Written once by KeyFile.Create with the inputs of Golden_key_file_bytes_are_stable; if this test fails, the key
    // file format changed, and existing repositories would no longer open.
    private const string GoldenKeyFile = """
        {
          "version": 1,
          "created": "2026-11-23T09:30:00Z",
          "hostname": "backup-01",
          "username": "root",
          "kdf": {
            "algorithm": "argon2id",
            "memory_kib": 1024,
            "iterations": 1,
            "parallelism": 1,
            "salt": "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
          },
          "master_key": "gIGCg4SFhoeIiYqLwhFT1C50Ts6+Q83+y3c1ungNBzIRUMiBroU+UqstojYiA9gnIoMYmabJ8Zj0NMOn"
        }

        """;

    [Fact]
    public void Create_parse_and_unlock_round_trip()
    {
        var master = MasterKey.Generate();
        var file = KeyFile.Create(master, "secret"u8, KdfParameters.ForTests, "host-a", "alice", s_created);
        var parsed = KeyFile.Parse(file.ToJson());
        Assert.Equal(file.Id, parsed.Id);
        Assert.Equal(s_created, parsed.Created);
        Assert.Equal("host-a", parsed.Hostname);
        Assert.Equal("alice", parsed.Username);
        Assert.Equal(KdfParameters.ForTests, parsed.Kdf);
        Assert.True(parsed.TryUnlock("secret"u8, out var unlocked));
        Assert.Equal(master.Secret.ToArray(), unlocked!.Secret.ToArray());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file.ToJson())), file.Id);
    }

    [Fact]
    public void Wrong_password_returns_false()
    {
        var file = KeyFile.Create(MasterKey.Generate(), "secret"u8, KdfParameters.ForTests, "h", "u", s_created);
        Assert.False(file.TryUnlock("Secret"u8, out var master));
        Assert.Null(master);
        Assert.False(KeyFile.Parse(file.ToJson()).TryUnlock(""u8, out _));
        Assert.Throws<ArgumentException>(() => KeyFile.Create(MasterKey.Generate(), ""u8, KdfParameters.ForTests, "h", "u", s_created));
    }

    [Fact]
    public void Two_key_files_for_one_master_key_both_unlock_it()
    {
        var master = MasterKey.Generate();
        var a = KeyFile.Create(master, "one"u8, KdfParameters.ForTests, "h", "u", s_created);
        var b = KeyFile.Create(master, "two"u8, KdfParameters.ForTests, "h", "u", s_created);
        Assert.NotEqual(a.Id, b.Id);
        Assert.True(a.TryUnlock("one"u8, out var fromA));
        Assert.True(b.TryUnlock("two"u8, out var fromB));
        Assert.Equal(fromA!.Secret.ToArray(), fromB!.Secret.ToArray());
    }

    [Fact]
    public void Golden_key_file_bytes_are_stable()
    {
        var file = KeyFile.Create(new MasterKey(TestData.Sequence(32)), "correct horse battery staple"u8, KdfParameters.ForTests,
            "backup-01", "root", s_created, TestData.Sequence(32, 0x40), TestData.Sequence(12, 0x80));
        Assert.Equal(GoldenKeyFile, Encoding.UTF8.GetString(file.ToJson()));
        var parsed = KeyFile.Parse(Encoding.UTF8.GetBytes(GoldenKeyFile));
        Assert.True(parsed.TryUnlock("correct horse battery staple"u8, out var master));
        Assert.Equal(TestData.Sequence(32), master!.Secret.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"version\":\"1\"}")]
    [InlineData("{\"version\":1,\"created\":\"yesterday\",\"hostname\":\"h\",\"username\":\"u\"}")]
    [InlineData("{\"version\":1,\"created\":\"2026-11-23T09:30:00Z\",\"hostname\":\"h\",\"username\":\"u\",\"kdf\":{\"algorithm\":\"scrypt\"}}")]
    [InlineData("{\"version\":1,\"created\":\"2026-11-23T09:30:00Z\",\"hostname\":\"h\",\"username\":\"u\",\"kdf\":{\"algorithm\":\"argon2id\",\"memory_kib\":1024,\"iterations\":1,\"parallelism\":1,\"salt\":\"!!\"},\"master_key\":\"\"}")]
    [InlineData("{\"version\":1,\"created\":\"2026-11-23T09:30:00Z\",\"hostname\":\"h\",\"username\":\"u\",\"kdf\":{\"algorithm\":\"argon2id\",\"memory_kib\":1024,\"iterations\":1,\"parallelism\":1,\"salt\":\"AAAA\"},\"master_key\":\"AAAA\"}")]
    [InlineData("{\"version\":1,\"created\":\"2026-11-23T09:30:00Z\",\"hostname\":\"h\",\"username\":\"u\",\"kdf\":{\"algorithm\":\"argon2id\",\"memory_kib\":99999999999,\"iterations\":1,\"parallelism\":1,\"salt\":\"AAAA\"},\"master_key\":\"AAAA\"}")]
    [InlineData("{\"version\":1,\"created\":\"2026-11-23T09:30:00Z\",\"hostname\":\"h\",\"username\":\"u\",\"kdf\":{\"algorithm\":\"argon2id\",\"memory_kib\":2000000000,\"iterations\":1,\"parallelism\":1,\"salt\":\"AAAA\"},\"master_key\":\"AAAA\"}")]
    public void Malformed_key_files_raise_an_integrity_error(string json)
    {
        var error = Assert.Throws<CairnException>(() => KeyFile.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(ExitCode.Integrity, error.ExitCode);
        Assert.Contains("is malformed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_version_is_reported_as_unsupported()
    {
        var error = Assert.Throws<CairnException>(() => KeyFile.Parse("{\"version\":2}"u8));
        Assert.Equal(ExitCode.UnsupportedVersion, error.ExitCode);
    }

    [Fact]
    public void Cheap_kdf_is_fast_and_deterministic()
    {
        var stopwatch = Stopwatch.StartNew();
        var a = KdfParameters.ForTests.DeriveKey("pw"u8, TestData.Sequence(32));
        Assert.True(stopwatch.ElapsedMilliseconds < 2000, $"{stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(32, a.Length);
        Assert.Equal(a, KdfParameters.ForTests.DeriveKey("pw"u8, TestData.Sequence(32)));
        Assert.NotEqual(a, KdfParameters.ForTests.DeriveKey("pw"u8, TestData.Sequence(32, 1)));
        Assert.NotEqual(a, KdfParameters.ForTests.DeriveKey("pW"u8, TestData.Sequence(32)));
    }

    [Fact]
    public void Calibrate_with_a_tiny_target_returns_the_floor()
    {
        var kdf = KdfParameters.Calibrate(TimeSpan.FromMilliseconds(1));
        Assert.Equal(KdfParameters.MinimumCalibratedMemoryKiB, kdf.MemoryKiB);
        Assert.Equal(KdfParameters.MinimumCalibratedIterations, kdf.Iterations);
        Assert.InRange(kdf.Parallelism, 1, 4);
        Assert.True(kdf.IsValid);
    }

    [Fact]
    public void Calibrate_grows_memory_first_and_respects_the_cap()
    {
        var capped = KdfParameters.Calibrate(TimeSpan.FromSeconds(30), maxMemoryKiB: 16 * 1024);
        Assert.Equal(16 * 1024, capped.MemoryKiB);
        Assert.True(capped.Iterations > KdfParameters.MinimumCalibratedIterations);
        Assert.True(capped.Iterations <= 64);
    }
}
