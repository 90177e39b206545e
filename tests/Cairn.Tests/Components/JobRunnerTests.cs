using Cairn.Components;
using Cairn.Components.Command;
using Cairn.Components.Files;
using Cairn.Content.Crypto;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Components;

/// <summary>Job runs with files and command components, into real local repositories, with configs made in code.</summary>
public sealed class JobRunnerTests : IDisposable
{
    private const string Password = "job password";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cairn-jobs-" + Guid.NewGuid().ToString("N"));

    public JobRunnerTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Source => Path.Combine(_root, "source");

    private async Task<string> InitAsync(string name)
    {
        var path = Path.Combine(_root, name);
        await using var repository = await Repository.InitAsync(new LocalBlobStore(path), System.Text.Encoding.UTF8.GetBytes(Password),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        return path;
    }

    private static async Task<Repository> OpenAsync(string path) =>
        await Repository.OpenAsync(new LocalBlobStore(path), System.Text.Encoding.UTF8.GetBytes(Password), CancellationToken.None);

    private static async Task<Repository> OpenTargetAsync(TargetDefinition target, CancellationToken ct)
    {
        if (!Directory.Exists(target.Repository)) throw new CairnException($"there is no repository at {target.Repository}", ExitCode.RepositoryNotFound);
        return await Repository.OpenAsync(new LocalBlobStore(target.Repository), System.Text.Encoding.UTF8.GetBytes(target.Password!), ct);
    }

    private static ComponentDefinition Files(string name, FilesOptions options) => new(name, ComponentCatalog.Find("files")!, options);

    private static ComponentDefinition Command(string name, CommandOptions options) => new(name, ComponentCatalog.Find("command")!, options);

    private static CairnConfig Config(IReadOnlyList<ComponentDefinition> components, params (string Name, string Path)[] targets) => new()
    {
        SourcePath = "test.yaml",
        Instance = "research",
        Environment = "test",
        Targets = targets.ToDictionary(t => t.Name, t => new TargetDefinition { Name = t.Name, Repository = t.Path, Password = Password }),
        Jobs = [new JobDefinition { Name = "platform", Targets = [.. targets.Select(t => t.Name)], Components = components, Tags = ["nightly"], Host = "host1" }],
    };

    private async Task WriteSourceAsync()
    {
        Directory.CreateDirectory(Path.Combine(Source, "conf"));
        await File.WriteAllTextAsync(Path.Combine(Source, "conf", "haproxy.cfg"), "global\n  maxconn 100\n");
        await File.WriteAllTextAsync(Path.Combine(Source, "acme.json"), "{}");
    }

    private static JobRunner Runner(CairnConfig config, List<string>? messages = null) =>
        new(config, OpenTargetAsync, TimeProvider.System) { Info = messages is null ? null : messages.Add };

    [Fact]
    public async Task Files_and_command_components_make_one_snapshot_copied_to_the_second_target()
    {
        await WriteSourceAsync();
        var primary = await InitAsync("primary");
        var replica = await InitAsync("replica");
        var config = Config([
            Files("etc", new FilesOptions { Paths = [Source] }),
            Command("k8s", new CommandOptions { Command = ["printf", "kind: List\\nitems: []\\n"], FileName = "cluster/all.yaml" }),
        ], ("primary", primary), ("replica", replica));

        var result = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);

        Assert.Equal(ExitCode.Success, result.ExitCode);
        var snapshot = result.Snapshot!;
        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        Assert.Equal(("platform", "research", "test", "host1"), (snapshot.Job, snapshot.Instance, snapshot.Environment, snapshot.Hostname));
        Assert.Equal(["nightly"], snapshot.Tags);
        Assert.Equal(["files", "command"], snapshot.Components.Select(c => c.Type));
        Assert.Equal(["/etc", "/k8s"], snapshot.Paths);
        var k8s = snapshot.Components[1];
        Assert.Equal(("printf", "standard output", 21L), (k8s.Tool, k8s.Format, k8s.Bytes!.Value));
        Assert.True(k8s.DurationSeconds >= 0);

        Assert.Equal(["primary", "replica"], result.Targets.Select(t => t.Target));
        Assert.All(result.Targets, t => Assert.Null(t.Error));
        await using var copy = await OpenAsync(replica);
        var copied = Assert.Single(await copy.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None));
        Assert.Equal("platform", copied.Job);
        var source = await ComponentRestore.OpenAsync(copy, copied, "k8s", null, CancellationToken.None);
        using var reader = new StreamReader(source.Open("cluster/all.yaml"));
        Assert.Equal("kind: List\nitems: []\n", await reader.ReadToEndAsync());

        // The second run compares against the first (same host and instance): the files are not read again.
        var second = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);
        Assert.Equal(snapshot.Id, second.Snapshot!.Parent);
        Assert.Equal(0, second.Snapshot.Summary!.BytesRead);
    }

    [Fact]
    public async Task A_failing_command_fails_its_component_and_the_snapshot_but_not_the_others()
    {
        await WriteSourceAsync();
        var primary = await InitAsync("primary");
        var config = Config([
            Command("broken", new CommandOptions { Command = ["sh", "-c", "echo partial; echo 'dump: connection refused' >&2; exit 3"] }),
            Files("etc", new FilesOptions { Paths = [Source] }),
        ], ("primary", primary));

        var result = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);

        Assert.Equal(ExitCode.ComponentFailed, result.ExitCode);
        Assert.Equal(SnapshotStatus.Failed, result.Snapshot!.Status);
        Assert.Equal(SnapshotStatus.Failed, result.Snapshot.Components[0].Status);
        Assert.Equal("sh exited with status 3: dump: connection refused", result.Snapshot.Components[0].Error);
        Assert.Equal(SnapshotStatus.Complete, result.Snapshot.Components[1].Status);
        await using var repository = await OpenAsync(primary);
        var stored = Assert.Single(await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None));
        Assert.Equal(SnapshotStatus.Failed, stored.Status);
    }

    [Fact]
    public async Task An_error_line_on_stderr_fails_a_command_that_exits_zero()
    {
        var primary = await InitAsync("primary");
        var config = Config([Command("c", new CommandOptions { Command = ["sh", "-c", "echo data; echo 'ERROR: lost table' >&2"] })], ("primary", primary));
        var result = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);
        Assert.Equal(ExitCode.ComponentFailed, result.ExitCode);
        Assert.Contains("ERROR: lost table", result.Snapshot!.Components[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Component_and_skip_select_what_runs_and_dry_run_stores_nothing()
    {
        await WriteSourceAsync();
        var primary = await InitAsync("primary");
        var config = Config([
            Files("etc", new FilesOptions { Paths = [Source] }),
            Command("a", new CommandOptions { Command = ["echo", "a"] }),
            Command("b", new CommandOptions { Command = ["echo", "b"] }),
        ], ("primary", primary));

        var dry = await Runner(config).RunAsync("platform", new JobRunOptions { Skip = ["a"], DryRun = true }, CancellationToken.None);
        Assert.True(dry.DryRun);
        Assert.Equal(["etc", "b"], dry.Selected.Select(c => c.Name));
        Assert.Equal(ExitCode.Success, dry.ExitCode);
        await using (var repository = await OpenAsync(primary))
            Assert.Empty(await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None));

        var only = await Runner(config).RunAsync("platform", new JobRunOptions { Components = ["a", "b"], Skip = ["b"] }, CancellationToken.None);
        Assert.Equal(["a"], only.Snapshot!.Components.Select(c => c.Name));

        var unknown = await Assert.ThrowsAsync<CairnException>(() => Runner(config).RunAsync("platform", new JobRunOptions { Components = ["nope"] }, CancellationToken.None));
        Assert.Equal(ExitCode.Usage, unknown.ExitCode);
        Assert.Contains("'nope'", unknown.Message, StringComparison.Ordinal);
        var missingJob = await Assert.ThrowsAsync<CairnException>(() => Runner(config).RunAsync("other", new JobRunOptions(), CancellationToken.None));
        Assert.Equal(ExitCode.NotFound, missingJob.ExitCode);
    }

    [Fact]
    public async Task A_failing_target_is_reported_and_makes_the_run_fail_while_the_others_get_their_copy()
    {
        await WriteSourceAsync();
        var primary = await InitAsync("primary");
        var good = await InitAsync("good");
        var config = Config([Command("a", new CommandOptions { Command = ["echo", "a"] })],
            ("primary", primary), ("missing", Path.Combine(_root, "nothing-here")), ("good", good));

        var result = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);

        Assert.Equal(ExitCode.RepositoryNotFound, result.ExitCode);
        Assert.Equal(SnapshotStatus.Complete, result.Snapshot!.Status);
        Assert.NotNull(result.Targets[1].Error);
        Assert.Null(result.Targets[2].Error);
        await using var repository = await OpenAsync(good);
        Assert.Single(await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None));
    }

    [Fact]
    public async Task A_failing_pre_hook_fails_the_component_and_the_post_hook_still_runs()
    {
        await WriteSourceAsync();
        var primary = await InitAsync("primary");
        var marker = Path.Combine(_root, "post-hook-ran");
        var config = Config([Files("etc", new FilesOptions
        {
            Paths = [Source],
            PreHook = ["sh", "-c", "echo 'app will not pause' >&2; exit 1"],
            PostHook = ["touch", marker],
        })], ("primary", primary));

        var result = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);

        Assert.Equal(ExitCode.ComponentFailed, result.ExitCode);
        Assert.Equal("sh exited with status 1: app will not pause", result.Snapshot!.Components[0].Error);
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public async Task A_hook_past_its_timeout_is_stopped_and_a_failing_post_hook_makes_the_component_partial()
    {
        await WriteSourceAsync();
        var primary = await InitAsync("primary");
        var slow = Config([Files("etc", new FilesOptions { Paths = [Source], PreHook = ["sleep", "30"], HookTimeout = TimeSpan.FromMilliseconds(300) })], ("primary", primary));
        var timedOut = await Runner(slow).RunAsync("platform", new JobRunOptions(), CancellationToken.None);
        Assert.Equal("pre_hook did not finish within 00:00:00.3000000 and was stopped", timedOut.Snapshot!.Components[0].Error);

        var post = Config([Files("etc", new FilesOptions { Paths = [Source], PostHook = ["false"] })], ("primary", primary));
        var partial = await Runner(post).RunAsync("platform", new JobRunOptions(), CancellationToken.None);
        Assert.Equal(ExitCode.Partial, partial.ExitCode);
        Assert.Equal(SnapshotStatus.Partial, partial.Snapshot!.Components[0].Status);
        Assert.Equal("/etc/post_hook", Assert.Single(partial.Snapshot.Warnings).Path);
    }

    [Fact]
    public async Task Command_restore_feeds_the_stored_output_to_the_restore_command()
    {
        var primary = await InitAsync("primary");
        var restored = Path.Combine(_root, "restored.txt");
        var options = new CommandOptions
        {
            Command = ["sh", "-c", "seq 1 100000"],
            FileName = "numbers.txt",
            RestoreCommand = ["sh", "-c", $"cat > '{restored}'"],
        };
        var config = Config([Command("numbers", options)], ("primary", primary));
        var result = await Runner(config).RunAsync("platform", new JobRunOptions(), CancellationToken.None);

        await using var repository = await OpenAsync(primary);
        var source = await ComponentRestore.OpenAsync(repository, result.Snapshot!, "numbers", null, CancellationToken.None);
        await new CommandComponent("numbers", options).RestoreAsync(source, new ComponentRestoreRequest(), CancellationToken.None);
        Assert.Equal(string.Join("", Enumerable.Range(1, 100000).Select(i => i + "\n")), await File.ReadAllTextAsync(restored));

        var noRestore = new CommandComponent("numbers", options with { RestoreCommand = [] });
        var e = await Assert.ThrowsAsync<CairnException>(() => noRestore.RestoreAsync(source, new ComponentRestoreRequest(), CancellationToken.None));
        Assert.Contains("--to-file", e.Message, StringComparison.Ordinal);
    }
}
