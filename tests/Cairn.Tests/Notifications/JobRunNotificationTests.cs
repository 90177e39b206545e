using System.Text.Json;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Notifications;

/// <summary>
/// <c>cairn job run</c> (what a systemd timer or CronJob runs) tells the job's channels about a failed run, just as the
/// daemon does, and a channel that is down costs the run nothing but a warning.
/// </summary>
public sealed class JobRunNotificationTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task A_failed_job_run_is_announced_and_a_channel_that_is_down_does_not_change_the_exit_code()
    {
        await _cli.InitAsync();
        using var receiver = new HttpReceiver();
        var config = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(config, $$"""
            instance: lab
            targets:
              a: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            notifications:
              hook: {webhook: {url: "{{receiver.Url("/hook")}}" } }
              down: {webhook: {url: "http://127.0.0.1:{{HttpReceiver.FreePort()}}/nobody" } }
            jobs:
              broken:
                targets: [a]
                components: [{name: dump, type: command, command: [sh, -c, "echo 'pg_dump: connection refused' >&2; exit 1"]}]
            """);
        _cli.Env["CAIRN_CONFIG"] = config;

        var run = await _cli.RunAsync("job", "run", "broken");

        Assert.Equal(21, run.ExitCode);
        var body = JsonDocument.Parse((await receiver.WaitForAsync(1))[0].Body).RootElement;
        Assert.Equal("failure", body.GetProperty("event").GetString());
        Assert.Equal("broken", body.GetProperty("job").GetString());
        Assert.Equal("lab", body.GetProperty("instance").GetString());
        Assert.Equal("dump", body.GetProperty("component").GetString());
        Assert.Contains("connection refused", body.GetProperty("error").GetString());
        Assert.Contains("down", run.Stderr);
    }
}
