using System.Text.Json;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Service;
using Cairn.Tests.Cli;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Tests.Service;

/// <summary>The daemon loop: with a fake clock and runner for its rules, and with real jobs and the CLI end to end.</summary>
public sealed class DaemonTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private sealed class RecordingObserver : IJobRunObserver
    {
        public List<JobEvent> Stale { get; } = [];
        public Task RunStartedAsync(JobEvent started, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task RunFinishedAsync(JobEvent finished, JobRunResult? result, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task JobStaleAsync(JobEvent stale, CancellationToken cancellationToken)
        {
            lock (Stale) Stale.Add(stale);
            return Task.CompletedTask;
        }
    }

    private static JobDefinition Job(string name, string? schedule, TimeSpan? rpo = null) =>
        new() { Name = name, Targets = ["t"], Components = [], Schedule = schedule, Rpo = rpo };

    private static async Task Until(Func<bool> condition, string what)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(20);
        Assert.True(condition(), "timed out waiting for " + what);
    }

    [Fact]
    public async Task Fake_clock_the_daemon_runs_only_scheduled_jobs_catches_up_once_records_the_slot_and_reports_a_stale_job_once()
    {
        var utc = TimeSpan.Zero;
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 6, 10, 0, 0, utc));
        var config = new CairnConfig
        {
            SourcePath = "test.yaml",
            Instance = "lab",
            Targets = new Dictionary<string, TargetDefinition>(),
            Jobs = [Job("nightly", "0 2 * * *"), Job("manual", null, rpo: TimeSpan.FromHours(1))],
        };
        var state = new JobStateStore(Path.Combine(_cli.Root, "state"));
        state.Update("lab", "nightly", s => s with { LastSlot = new DateTimeOffset(2025, 1, 3, 2, 0, 0, utc) });
        var runs = new List<(string Job, DateTimeOffset At)>();
        var observer = new RecordingObserver();
        var output = new StringWriter();
        var daemon = new Daemon(config, state, new DaemonLog(TextWriter.Synchronized(output), LogFormat.Json, time), time, new Random(7), (job, stop, abort) =>
        {
            lock (runs) runs.Add((job.Name, time.GetUtcNow()));
            var now = time.GetUtcNow();
            return Task.FromResult(new JobRunReport
            {
                Record = new JobRunRecord { Started = now, Finished = now, Outcome = JobOutcome.Success },
                Event = new JobEvent { Kind = NotificationEvent.Success, Job = job.Name, Time = now },
            });
        }) { Observers = [observer] };

        using var shutdown = new CancellationTokenSource();
        var loop = daemon.RunAsync(shutdown.Token, CancellationToken.None);
        int Count() { lock (runs) return runs.Count; }
        await Until(() => Count() == 1, "the catch-up run");
        await Until(() => state.Load("lab", "nightly").LastSlot == new DateTimeOffset(2025, 1, 6, 2, 0, 0, utc), "the handled slot to be recorded");
        Assert.Equal(("nightly", new DateTimeOffset(2025, 1, 6, 10, 0, 0, utc)), runs[0]);

        // A day passes, an hour at a time: one more nightly run at 02:00, nothing for the unscheduled job, and the unscheduled
        // job's rpo (1h, counted from when the daemon first knew it) is reported once, not every hour.
        for (int hour = 0; hour < 24; hour++)
        {
            time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(30);
        }
        await Until(() => Count() == 2, "the next nightly run");
        Assert.Equal(("nightly", new DateTimeOffset(2025, 1, 7, 2, 0, 0, utc)), runs[1]);
        await Until(() => observer.Stale.Count == 1, "the stale report");
        var stale = observer.Stale[0];
        Assert.Equal(("manual", "lab", NotificationEvent.Stale), (stale.Job, stale.Instance, stale.Kind));
        Assert.Contains("no successful backup since", stale.Error);
        Assert.NotNull(state.Load("lab", "manual").StaleReported);

        await shutdown.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, Count());
        Assert.Single(observer.Stale);
        Assert.Null(state.Load("lab", "manual").LastRun);
        var lines = output.ToString().Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("message").GetString() == "starting (catching up missed slots once)" && l.GetProperty("job").GetString() == "nightly");
        Assert.Contains(lines, l => l.GetProperty("message").GetString()!.StartsWith("no schedule", StringComparison.Ordinal) && l.GetProperty("job").GetString() == "manual");
        Assert.Equal("daemon stopped", lines[^1].GetProperty("message").GetString());
    }

    private void WriteConfig(string body)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, body);
        _cli.Env["CAIRN_CONFIG"] = path;
    }

    [Fact]
    public async Task The_daemon_runs_two_schedules_of_real_jobs_and_keeps_their_state_files()
    {
        await _cli.InitAsync();
        var second = Path.Combine(_cli.Root, "repo2");
        await _cli.RunAsync(0, "-r", second, "init");
        var src = _cli.MakeTree();
        var stateDir = Path.Combine(_cli.Root, "daemon-state");
        WriteConfig($$"""
            targets:
              a: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
              b: {repository: {{second}}, password: {{CliHarness.Password}}}
            jobs:
              every-second: {targets: [a], schedule: "* * * * * *", components: [{name: etc, type: files, paths: [{{src}}]}]}
              every-other: {targets: [b], schedule: "*/2 * * * * *", time_zone: Europe/Berlin, components: [{name: etc, type: files, paths: [{{src}}]}]}
              by-hand: {targets: [a], components: [{name: etc, type: files, paths: [{{src}}]}]}
            """);

        var run = await _cli.RunAsync(0, "daemon", "--stop-after", "6s", "--state-dir", stateDir, "--log-format", "json", "--max-concurrent", "2");
        var lines = run.Stdout.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var finished = lines.Where(l => l.GetProperty("message").GetString() == "finished").ToList();
        Assert.Contains(finished, l => l.GetProperty("job").GetString() == "every-second");
        Assert.Contains(finished, l => l.GetProperty("job").GetString() == "every-other");
        Assert.All(finished, l => Assert.Equal("success", l.GetProperty("outcome").GetString()));
        Assert.Equal("daemon stopped", lines[^1].GetProperty("message").GetString());

        foreach (var (job, repo) in new[] { ("every-second", _cli.Repo), ("every-other", second) })
        {
            var file = Path.Combine(stateDir, "jobs", job + ".json");
            var json = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
            long runs = json.GetProperty("runs_total").GetInt64();
            Assert.True(runs >= 2, $"{job} ran {runs} times in 6 s");
            Assert.Equal(finished.Count(l => l.GetProperty("job").GetString() == job), runs);
            Assert.Equal("success", json.GetProperty("last_run").GetProperty("outcome").GetString());
            Assert.Equal("schedule", json.GetProperty("last_run").GetProperty("trigger").GetString());
            Assert.True(json.GetProperty("last_slot").GetDateTimeOffset() <= json.GetProperty("last_run").GetProperty("started").GetDateTimeOffset());
            Assert.Equal(0, json.GetProperty("failures_total").GetInt64());
            // Every recorded run is a snapshot of that job in its own target.
            var snapshots = (await _cli.RunAsync(0, "-r", repo, "snapshots", "--json")).Json.EnumerateArray().ToList();
            Assert.Equal(runs, snapshots.Count(s => s.GetProperty("job").GetString() == job));
            Assert.Equal(json.GetProperty("last_success_snapshot_id").GetString(), snapshots[^1].GetProperty("id").GetString());
        }
        // The job without a schedule has a state file (its rpo clock) but no run.
        var byHand = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(stateDir, "jobs", "by-hand.json"))).RootElement;
        Assert.False(byHand.TryGetProperty("last_run", out _));
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
    }

    [Fact]
    public async Task Job_run_records_each_run_in_the_state_file()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        WriteConfig($$"""
            instance: lab
            targets:
              a: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            jobs:
              ok: {targets: [a], components: [{name: etc, type: files, paths: [{{src}}]}]}
              broken: {targets: [a], components: [{name: dump, type: command, command: [sh, -c, "echo 'pg_dump: connection refused' >&2; exit 1"]}]}
            """);
        var first = (await _cli.RunAsync(0, "job", "run", "ok", "--json")).Json;
        var file = Path.Combine(_cli.Root, "state", "cairn", "jobs", "lab", "ok.json");
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        Assert.Equal(1, state.GetProperty("version").GetInt32());
        Assert.Equal(("ok", "lab"), (state.GetProperty("job").GetString(), state.GetProperty("instance").GetString()));
        var last = state.GetProperty("last_run");
        Assert.Equal(("success", 0, "manual"), (last.GetProperty("outcome").GetString(), last.GetProperty("exit_code").GetInt32(), last.GetProperty("trigger").GetString()));
        Assert.Equal(first.GetProperty("snapshot_id").GetString(), last.GetProperty("snapshot_id").GetString());
        Assert.Equal(last.GetProperty("finished").GetDateTimeOffset(), state.GetProperty("last_success").GetDateTimeOffset());
        Assert.True(last.GetProperty("files").GetInt64() >= 4);

        await _cli.RunAsync(21, "job", "run", "broken");
        await _cli.RunAsync(21, "job", "run", "broken");
        var brokenFile = Path.Combine(_cli.Root, "state", "cairn", "jobs", "lab", "broken.json");
        var broken = JsonDocument.Parse(await File.ReadAllTextAsync(brokenFile)).RootElement;
        var failed = broken.GetProperty("last_run");
        Assert.Equal(("failure", 21, "dump"), (failed.GetProperty("outcome").GetString(), failed.GetProperty("exit_code").GetInt32(), failed.GetProperty("component").GetString()));
        Assert.Contains("connection refused", failed.GetProperty("error").GetString());
        Assert.Equal((2L, 2L, 2), (broken.GetProperty("runs_total").GetInt64(), broken.GetProperty("failures_total").GetInt64(), broken.GetProperty("consecutive_failures").GetInt32()));
        Assert.False(broken.TryGetProperty("last_success", out _));

        // A run that cannot even open its target is recorded too, with the target's error.
        File.Move(Path.Combine(_cli.Root, "repo", "config"), Path.Combine(_cli.Root, "config-moved"));
        await _cli.RunAsync(10, "job", "run", "ok");
        state = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        Assert.Equal(("failure", 10), (state.GetProperty("last_run").GetProperty("outcome").GetString(), state.GetProperty("last_run").GetProperty("exit_code").GetInt32()));
        Assert.Equal(last.GetProperty("finished").GetDateTimeOffset(), state.GetProperty("last_success").GetDateTimeOffset());
    }
}
