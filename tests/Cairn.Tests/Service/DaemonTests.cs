using System.Security.Cryptography;
using System.Text.Json;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Retention;
using Cairn.Maintenance.Prune;
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

    private static JobRunReport Succeeded(JobDefinition job, DateTimeOffset now) => new()
    {
        Record = new JobRunRecord { Started = now, Finished = now, Outcome = JobOutcome.Success },
        Event = new JobEvent { Kind = NotificationEvent.Success, Job = job.Name, Time = now },
    };

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
            return Task.FromResult(Succeeded(job, time.GetUtcNow()));
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

    [Fact]
    public async Task Fake_clock_a_targets_prune_catches_up_once_logs_a_failure_waits_for_the_targets_job_and_the_job_waits_for_it()
    {
        var utc = TimeSpan.Zero;
        var day = new DateTimeOffset(2025, 1, 7, 0, 0, 0, utc);
        var time = new FakeTimeProvider(day.AddHours(-14)); // Monday 10:00
        var config = new CairnConfig
        {
            SourcePath = "test.yaml",
            Targets = new Dictionary<string, TargetDefinition>
            {
                ["t"] = new() { Name = "t", Repository = "/nowhere", Prune = new PruneScheduleDefinition { Schedule = "0 4 * * *" } },
                ["u"] = new() { Name = "u", Repository = "/elsewhere" },
            },
            Jobs = [Job("db", "30 3,4 * * *"), Job("other", "35 4 * * *") with { Targets = ["u"] }],
        };
        var state = new JobStateStore(Path.Combine(_cli.Root, "state"));
        state.UpdatePrune(null, "t", s => s with { LastSlot = day.AddDays(-4).AddHours(4) }); // three prune slots missed
        var events = new List<string>();
        void Note(string what) { lock (events) events.Add($"{what}@{time.GetUtcNow():HH:mm}"); }
        string[] Events() { lock (events) return [.. events]; }
        var releaseJob = new TaskCompletionSource();
        var releasePrune = new TaskCompletionSource();
        int prunes = 0;
        var output = new StringWriter();
        var daemon = new Daemon(config, state, new DaemonLog(TextWriter.Synchronized(output), LogFormat.Json, time), time, new Random(7), async (job, stop, abort) =>
        {
            Note(job.Name);
            if (job.Name == "db") await releaseJob.Task;
            Note(job.Name + " done");
            return Succeeded(job, time.GetUtcNow());
        })
        {
            MaxConcurrentJobs = 3,
            Prune = async (target, ct) =>
            {
                Note("prune " + target.Name);
                if (Interlocked.Increment(ref prunes) == 1)
                    return new ScheduledPruneOutcome(target.Name, null, null, "repository is already locked exclusively", ExitCode.Locked);
                await releasePrune.Task.WaitAsync(ct);
                Note("prune done");
                return new ScheduledPruneOutcome(target.Name, null, new PruneResult { PacksDeleted = 3, BytesDeleted = 300 }, null, ExitCode.Success);
            },
        };

        using var shutdown = new CancellationTokenSource();
        var loop = daemon.RunAsync(shutdown.Token, CancellationToken.None);
        await Until(() => state.LoadPrune(null, "t").LastSlot == day.AddHours(-20), "the catch-up prune to be recorded");
        Assert.Equal(["prune t@10:00"], Events());
        Assert.Equal((1L, 1L, 11), (state.LoadPrune(null, "t").RunsTotal, state.LoadPrune(null, "t").FailuresTotal, state.LoadPrune(null, "t").LastRun!.ExitCode));

        async Task AdvanceTo(DateTimeOffset when)
        {
            while (time.GetUtcNow() < when)
            {
                time.Advance(TimeSpan.FromMinutes(5));
                await Task.Delay(25);
            }
        }
        await AdvanceTo(day.AddHours(4).AddMinutes(10)); // db started at 03:30 and still runs: the 04:00 prune waits
        await Until(() => Events().Contains("db@03:30"), "the 03:30 run");
        Assert.DoesNotContain(Events(), e => e.StartsWith("prune t@0", StringComparison.Ordinal) && e != "prune t@10:00");
        releaseJob.SetResult();
        await Until(() => Events().Contains("prune t@04:10"), "the prune once the job finished");

        await AdvanceTo(day.AddHours(4).AddMinutes(45)); // db's 04:30 slot waits for the prune; the other target's job does not
        await Until(() => Events().Contains("other@04:35"), "the other target's job");
        Assert.DoesNotContain(Events(), e => e == "db@04:30");
        releasePrune.SetResult();
        await Until(() => Events().Contains("db@04:45"), "db after the prune");
        Assert.Equal(["prune t@10:00", "db@03:30", "db done@04:10", "prune t@04:10", "other@04:35", "other done@04:35", "prune done@04:45", "db@04:45", "db done@04:45"], Events());
        await Until(() => state.LoadPrune(null, "t").RunsTotal == 2, "the prune record");
        var recorded = state.LoadPrune(null, "t");
        Assert.Equal((day.AddHours(4), 0, 3, 1L), (recorded.LastSlot, recorded.LastRun!.ExitCode, recorded.LastRun.PacksDeleted, recorded.FailuresTotal));
        Assert.True(File.Exists(Path.Combine(_cli.Root, "state", "prune", "t.json")));

        await shutdown.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        var lines = output.ToString().Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var failed = Assert.Single(lines, l => l.GetProperty("message").GetString() == "prune failed");
        Assert.Equal(("warn", "t", 11), (failed.GetProperty("level").GetString(), failed.GetProperty("target").GetString(), failed.GetProperty("exit_code").GetInt32()));
        Assert.Contains(lines, l => l.GetProperty("message").GetString() == "prune starting (catching up missed slots once)");
        Assert.Contains(lines, l => l.GetProperty("message").GetString() == "prune finished" && l.GetProperty("packs_deleted").GetInt32() == 3);
    }

    [Fact]
    public async Task The_daemon_prunes_a_local_target_on_its_schedule_between_job_runs_and_check_passes()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        // Data only a forgotten snapshot used: the prune's work.
        var doomed = Path.Combine(_cli.Root, "doomed");
        Directory.CreateDirectory(doomed);
        await File.WriteAllBytesAsync(Path.Combine(doomed, "noise.bin"), RandomNumberGenerator.GetBytes(400_000));
        string[] Packs() => Directory.Exists(Path.Combine(_cli.Repo, "data")) ? Directory.GetFiles(Path.Combine(_cli.Repo, "data"), "*", SearchOption.AllDirectories) : [];
        var before = Packs().ToHashSet();
        await _cli.RunAsync(0, "backup", doomed);
        var unreferenced = Packs().Except(before).ToList();
        Assert.NotEmpty(unreferenced);
        await _cli.RunAsync(0, "forget", "latest");

        var stateDir = Path.Combine(_cli.Root, "daemon-state");
        WriteConfig($$"""
            targets:
              a: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}, prune: {schedule: "*/2 * * * * *", max_unused: 0%} }
            jobs:
              every-second: {targets: [a], schedule: "* * * * * *", components: [{name: etc, type: files, paths: [{{src}}]}]}
            """);
        var run = await _cli.RunAsync(0, "daemon", "--stop-after", "6s", "--state-dir", stateDir, "--log-format", "json", "--max-concurrent", "2");
        var lines = run.Stdout.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("message").GetString() == "prune finished" && l.GetProperty("target").GetString() == "a");
        Assert.DoesNotContain(lines, l => l.GetProperty("message").GetString() == "prune failed");
        Assert.All(lines.Where(l => l.GetProperty("message").GetString() == "finished"), l => Assert.Equal("success", l.GetProperty("outcome").GetString()));

        Assert.All(unreferenced, pack => Assert.False(File.Exists(pack), pack + " should have been pruned"));
        var prune = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(stateDir, "prune", "a.json"))).RootElement;
        Assert.True(prune.GetProperty("runs_total").GetInt64() >= 1);
        Assert.Equal(0, prune.GetProperty("failures_total").GetInt64());
        Assert.Equal(0, prune.GetProperty("last_run").GetProperty("exit_code").GetInt32());
        await _cli.RunAsync(0, "check", "--read-data");
        // Every job run between the prunes is intact: each recorded run is a snapshot that check just read.
        var runs = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(stateDir, "jobs", "every-second.json"))).RootElement.GetProperty("runs_total").GetInt64();
        Assert.True(runs >= 2);
        Assert.Equal(runs, (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Count(s => s.GetProperty("job").GetString() == "every-second"));
        Assert.Equal(0, _cli.CountRepoFiles("locks"));
    }

    [Fact]
    public async Task Fake_clock_a_prune_still_running_after_the_grace_period_is_cancelled_and_its_slot_stays_unhandled()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 6, 3, 59, 0, TimeSpan.Zero));
        var config = new CairnConfig
        {
            SourcePath = "test.yaml",
            Targets = new Dictionary<string, TargetDefinition> { ["t"] = new() { Name = "t", Repository = "/nowhere", Prune = new PruneScheduleDefinition { Schedule = "0 4 * * *" } } },
            Jobs = [],
        };
        var state = new JobStateStore(Path.Combine(_cli.Root, "state"));
        var started = new TaskCompletionSource();
        var output = new StringWriter();
        var daemon = new Daemon(config, state, new DaemonLog(TextWriter.Synchronized(output), LogFormat.Text, time), time, new Random(7),
            (job, stop, abort) => throw new InvalidOperationException("no jobs"))
        {
            GracePeriod = TimeSpan.FromMinutes(5),
            Prune = async (target, ct) =>
            {
                started.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException("not reached");
            },
        };
        using var shutdown = new CancellationTokenSource();
        var loop = daemon.RunAsync(shutdown.Token, CancellationToken.None);
        await Task.Delay(50);
        time.Advance(TimeSpan.FromMinutes(1));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await shutdown.CancelAsync();
        await Task.Delay(100);
        time.Advance(TimeSpan.FromMinutes(4));
        await Task.Delay(100);
        Assert.False(loop.IsCompleted, "the prune has the grace period to finish");
        time.Advance(TimeSpan.FromMinutes(1));
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("prune stopped at shutdown", output.ToString());
        Assert.Null(state.LoadPrune(null, "t").LastSlot); // the cancelled prune did not mark its slot handled
        Assert.False(File.Exists(state.PrunePathOf(null, "t")));
    }
}
