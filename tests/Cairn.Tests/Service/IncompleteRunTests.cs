using System.Text.Json;
using Cairn.Tests.Cli;
using Cairn.Tests.Crash;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Tests.Service;

/// <summary>
/// Runs stopped mid-backup, by max_duration or by SIGTERM: they end incomplete, keep what they uploaded, leave no lock and
/// a repository that checks clean, and the next run neither uploads that again nor re-reads the files it finished.
/// </summary>
public sealed class IncompleteRunTests : IDisposable
{
    private const int FileCount = 80;
    private const int FileSize = 2 << 20;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    // 160 MiB of incompressible files: ten 16 MiB packs, so a stop after the first pack is well before the end.
    private string MakeBigTree()
    {
        var dir = Path.Combine(_cli.Root, "big");
        var random = new Random(11);
        var buffer = new byte[FileSize];
        for (int i = 0; i < FileCount; i++)
        {
            var sub = Path.Combine(dir, $"d{i % 8}");
            Directory.CreateDirectory(sub);
            random.NextBytes(buffer);
            File.WriteAllBytes(Path.Combine(sub, $"f{i:D3}.bin"), buffer);
        }
        return dir;
    }

    // Packs committed to data/xx/ (a pack being filled is a temp file directly in data/).
    private int CommittedPacks()
    {
        var data = Path.Combine(_cli.Repo, "data");
        return Directory.Exists(data) ? Directory.GetDirectories(data).Sum(d => Directory.GetFiles(d).Length) : 0;
    }

    private string WriteConfig(string src, string extra)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, $$"""
            targets:
              a: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            jobs:
              big:
                targets: [a]
                components: [{name: data, type: files, paths: [{{src}}]}]
            {{extra}}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
        return path;
    }

    private async Task AssertContinuesWithoutUploadingAgainAsync(string stateFile)
    {
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(stateFile)).RootElement;
        Assert.Equal(("incomplete", 22), (state.GetProperty("last_run").GetProperty("outcome").GetString(), state.GetProperty("last_run").GetProperty("exit_code").GetInt32()));
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
        await _cli.RunAsync(0, "check");

        var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().ToList();
        var incomplete = Assert.Single(snapshots);
        Assert.Equal("incomplete", incomplete.GetProperty("status").GetString());
        var component = incomplete.GetProperty("components")[0];
        Assert.Equal("incomplete", component.GetProperty("status").GetString());
        long firstAdded = incomplete.GetProperty("summary").GetProperty("bytes_added").GetInt64();
        Assert.True(firstAdded >= 32 << 20, $"the stopped run kept {firstAdded} bytes, less than the two packs it had uploaded");
        Assert.True(firstAdded < (long)FileCount * FileSize, "the run was meant to be stopped before the end");

        // The next run goes on from it: what was uploaded is not uploaded again, finished files are not read again.
        _cli.Time = null;
        var next = (await _cli.RunAsync(0, "job", "run", "big", "--json")).Json;
        Assert.Equal("complete", next.GetProperty("status").GetString());
        var done = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().ToList()[^1];
        Assert.Equal(incomplete.GetProperty("id").GetString(), done.GetProperty("parent").GetString());
        var summary = done.GetProperty("summary");
        long total = (long)FileCount * FileSize;
        long secondAdded = summary.GetProperty("bytes_added").GetInt64();
        Assert.True(firstAdded + secondAdded <= total + total / 50, $"uploaded {firstAdded} + {secondAdded} bytes for {total} bytes of files");
        Assert.True(summary.GetProperty("files_unchanged").GetInt64() > 0, "files finished by the stopped run should not be read again");
        Assert.True(summary.GetProperty("bytes_read").GetInt64() < total, "the second run read everything again");
        await _cli.RunAsync(0, "check");
        var restored = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--component", "data", "--to", restored);
        Manifest.Of(Path.Combine(_cli.Root, "big")).AssertSameAs(Manifest.Of(Path.Combine(restored, _cli.Root.TrimStart('/'), "big")), "the restore after the second run");
    }

    [Fact]
    public async Task A_run_that_reaches_max_duration_ends_incomplete_with_exit_22_and_the_next_run_continues_from_it()
    {
        await _cli.InitAsync();
        var src = MakeBigTree();
        WriteConfig(src, "    max_duration: 2s");
        // The run's clock is fake: it reaches max_duration exactly when the test moves it, after the first pack is stored.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _cli.Time = time;
        var run = _cli.RunAsync("job", "run", "big", "--json");
        while (!run.IsCompleted && CommittedPacks() < 2) await Task.Delay(10);
        time.Advance(TimeSpan.FromSeconds(3));
        var result = await run;
        Assert.True(result.ExitCode == 22, result.ToString());
        var json = result.Json;
        Assert.Equal(("incomplete", 22), (json.GetProperty("status").GetString(), json.GetProperty("exit_code").GetInt32()));
        Assert.Contains("max_duration 2s reached", json.GetProperty("components")[0].GetProperty("error").GetString());

        await AssertContinuesWithoutUploadingAgainAsync(Path.Combine(_cli.Root, "state", "cairn", "jobs", "big.json"));
    }

    [Fact]
    public async Task Sigterm_to_the_daemon_during_a_backup_checkpoints_after_the_grace_period_and_the_next_run_continues()
    {
        await _cli.InitAsync();
        var src = MakeBigTree();
        var stateDir = Path.Combine(_cli.Root, "daemon-state");
        WriteConfig(src, $"""
                schedule: "* * * * * *"
            daemon: {"{"}grace_period: 0s, state_directory: {stateDir}{"}"}
            """);
        var process = new CairnProcess(_cli.Root, _cli.Repo, CliHarness.Password);
        process.Environment["CAIRN_CONFIG"] = _cli.Env["CAIRN_CONFIG"]!;
        var result = await process.TerminateWhenAsync(() => CommittedPacks() >= 2, "daemon");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("grace period over: asking running jobs to checkpoint", result.Stdout);
        Assert.Matches(@"\[big\] finished outcome=incomplete exit_code=22", result.Stdout);
        Assert.Contains("daemon stopped", result.Stdout);

        await AssertContinuesWithoutUploadingAgainAsync(Path.Combine(stateDir, "jobs", "big.json"));
    }
}
