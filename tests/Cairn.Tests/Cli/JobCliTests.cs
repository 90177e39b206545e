using System.Text.Json;

namespace Cairn.Tests.Cli;

/// <summary>cairn job run, restore --component and ls of job snapshots, end to end with a YAML config.</summary>
public sealed class JobCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string WriteConfig(string components)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, $$"""
            instance: research
            targets:
              primary: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            jobs:
              platform:
                targets: [primary]
                tags: [nightly]
                components:
            {{components}}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
        return path;
    }

    [Fact]
    public async Task Job_run_stores_files_and_command_output_which_ls_shows_and_restore_component_puts_back()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        var restoredOutput = Path.Combine(_cli.Root, "restored-output.yaml");
        WriteConfig($$"""
                  - {name: etc, type: files, paths: [{{src}}], excludes: ["*.log"]}
                  - name: k8s
                    type: command
                    command: [printf, "kind: List\\nitems: []\\n"]
                    file_name: cluster/all.yaml
                    restore_command: [sh, -c, "cat > '{{restoredOutput}}'"]
            """);

        var run = await _cli.RunAsync(0, "job", "run", "platform");
        Assert.Matches(@"etc\s+files\s+complete", run.Stdout);
        Assert.Matches(@"k8s\s+command\s+complete", run.Stdout);
        Assert.Contains("saved in target primary", run.Stdout);

        var json = (await _cli.RunAsync(0, "job", "run", "platform", "--json")).Json;
        Assert.Equal("complete", json.GetProperty("status").GetString());
        Assert.Equal(0, json.GetProperty("exit_code").GetInt32());
        var k8s = json.GetProperty("components")[1];
        Assert.Equal(("k8s", 21L), (k8s.GetProperty("name").GetString(), k8s.GetProperty("bytes").GetInt64()));

        var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
        var latest = snapshots[snapshots.GetArrayLength() - 1];
        Assert.Equal("platform", latest.GetProperty("job").GetString());
        Assert.Equal("research", latest.GetProperty("instance").GetString());

        var ls = await _cli.RunAsync(0, "ls", "latest");
        Assert.Contains("etc (files): complete", ls.Stdout);
        Assert.Contains("k8s (command): complete", ls.Stdout);
        Assert.Contains("  cluster/all.yaml", ls.Stdout);
        Assert.Contains("  " + src, ls.Stdout);
        var lsJson = (await _cli.RunAsync(0, "ls", "latest", "--json")).Stdout.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["snapshot", "component", "component"], lsJson.Select(e => e.GetProperty("struct_type").GetString()));
        Assert.Equal("command", lsJson[2].GetProperty("type").GetString());
        var files = await _cli.RunAsync(0, "ls", "latest", "/k8s");
        Assert.Contains("/k8s/cluster/all.yaml", files.Stdout);

        // The command's own restore reads the stored output on stdin.
        await _cli.RunAsync(0, "restore", "latest", "--component", "k8s");
        Assert.Equal("kind: List\nitems: []\n", await File.ReadAllTextAsync(restoredOutput));

        // Files come back below --to, with what the excludes left out still left out.
        var to = Path.Combine(_cli.Root, "files-back");
        await _cli.RunAsync(0, "restore", "latest", "--component", "etc", "--to", to);
        var back = Path.Combine(to, src.TrimStart('/'));
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(back, "a.txt")));
        Assert.False(File.Exists(Path.Combine(back, "sub", "b.log")));

        // --to-file needs no config: the raw stored files land in the directory.
        _cli.Env.Remove("CAIRN_CONFIG");
        var raw = Path.Combine(_cli.Root, "raw");
        var toFile = await _cli.RunAsync(0, "restore", "latest", "--component", "k8s", "--to-file", raw);
        Assert.Contains("wrote 1 files", toFile.Stdout);
        Assert.Equal("kind: List\nitems: []\n", await File.ReadAllTextAsync(Path.Combine(raw, "cluster", "all.yaml")));
        var noConfig = await _cli.RunAsync(2, "restore", "latest", "--component", "k8s");
        CliHarness.AssertOneLine(noConfig, "--to-file DIR");
        var missing = await _cli.RunAsync(17, "restore", "latest", "--component", "nope", "--to-file", raw);
        CliHarness.AssertOneLine(missing, "has no component 'nope'");
    }

    [Fact]
    public async Task A_failing_command_gives_exit_21_and_a_failed_snapshot_while_the_other_components_are_stored()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        WriteConfig($$"""
                  - {name: dump, type: command, command: [sh, -c, "echo half; echo 'pg_dump: error: connection refused' >&2; exit 1"]}
                  - {name: etc, type: files, paths: [{{src}}]}
            """);

        var run = await _cli.RunAsync(21, "job", "run", "platform");
        Assert.Matches(@"dump\s+command\s+failed\s.*sh exited with status 1: pg_dump: error: connection refused", run.Stdout);
        Assert.Matches(@"etc\s+files\s+complete", run.Stdout);
        Assert.Contains("job platform: failed (1 of 2 components failed)", run.Stdout);

        var snapshots = await _cli.RunAsync(0, "snapshots");
        Assert.Matches(@"/dump,/etc\s+failed", snapshots.Stdout);
        var ls = await _cli.RunAsync(0, "ls", "latest");
        Assert.Contains("error: sh exited with status 1", ls.Stdout);
    }

    [Fact]
    public async Task Selection_and_dry_run()
    {
        await _cli.InitAsync();
        WriteConfig("""
                  - {name: a, type: command, command: [echo, a]}
                  - {name: b, type: command, command: [echo, b]}
            """);

        var dry = await _cli.RunAsync(0, "job", "run", "platform", "--skip", "a", "--dry-run");
        Assert.Contains("would run 1 components", dry.Stdout);
        Assert.DoesNotContain("\na ", dry.Stdout);
        Assert.Contains("0 snapshots", (await _cli.RunAsync(0, "snapshots")).Stdout);

        var only = (await _cli.RunAsync(0, "job", "run", "platform", "--component", "b", "--json")).Json;
        Assert.Equal("b", Assert.Single(only.GetProperty("components").EnumerateArray()).GetProperty("name").GetString());

        CliHarness.AssertOneLine(await _cli.RunAsync(2, "job", "run", "platform", "--component", "c"), "has no component 'c'");
        CliHarness.AssertOneLine(await _cli.RunAsync(17, "job", "run", "nightly"), "no job 'nightly'");
    }
}
