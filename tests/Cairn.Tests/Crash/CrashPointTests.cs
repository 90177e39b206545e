namespace Cairn.Tests.Crash;

/// <summary>The CAIRN_TEST_CRASH_AT hook itself: it fires exactly where and when asked, and refuses what it cannot mean.</summary>
[Collection(CrashCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CrashPointTests
{
    [Theory]
    [InlineData("pack-uploaded:0")]
    [InlineData("no-such-point")]
    [InlineData("before-snapshot:x")]
    public async Task A_malformed_value_stops_the_process_before_it_writes_anything(string value)
    {
        using var lab = CrashLab.Create(seed: 1);
        lab.Cairn.Environment[CrashPoints.EnvironmentVariable] = value;
        var result = await lab.Cairn.KillAfterAsync(CairnProcess.HangTimeout, "init");
        Assert.Equal(134, result.ExitCode); // SIGABRT from Environment.FailFast
        Assert.Contains($"{CrashPoints.EnvironmentVariable}='{value}' is not <point>[:<n>]", result.Stderr);
        Assert.False(Directory.Exists(lab.Repository));
    }

    [Fact]
    public async Task The_hook_fires_at_the_nth_time_a_point_is_reached()
    {
        using var lab = await CrashLab.CreateAsync(seed: 2, packSize: 64 << 10);
        lab.Source.AddData(1 << 20, maxFile: 96 << 10);
        var crashed = await lab.Cairn.CrashAtAsync("pack-uploaded:4", lab.BackupArgs);
        Assert.Contains("cairn: test crash at pack-uploaded:4", crashed.Stderr);
        // Stored packs are in data/xx/; packs still being written are temporary files in data/ itself.
        Assert.Equal(4, Directory.GetDirectories(Path.Combine(lab.Repository, "data")).Sum(d => Directory.GetFiles(d).Length));
        Assert.Empty(lab.SnapshotFiles());
    }
}
