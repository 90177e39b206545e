using System.CommandLine;
using Cairn.Cli.Commands.Job;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Metrics;
using Cairn.Orchestration.Retention;
using Cairn.Orchestration.Service;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands;

/// <summary>cairn daemon: runs the config's jobs on their schedules, in the foreground, until SIGTERM or Ctrl-C.</summary>
internal static class DaemonCommand
{
    public static Command Create(CommandContext context)
    {
        var logFormat = new Option<string?>("--log-format") { Description = "Log lines as text or json (one object per line); default: the config's daemon.log_format, else text." };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var maxConcurrent = new Option<int?>("--max-concurrent") { Description = "At most this many jobs run at once (default: daemon.max_concurrent_jobs, else 1)." };
        var stateDir = new Option<string?>("--state-dir") { Description = "Where each job's state file is kept (default: daemon.state_directory, else $XDG_STATE_HOME/cairn, or /var/lib/cairn as root)." };
        var grace = new Option<string?>("--grace-period") { Description = "After SIGTERM, how long running jobs may take to finish before they checkpoint (default: daemon.grace_period, else 5m)." };
        var metricsAddress = new Option<string?>("--metrics") { Description = "Serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:9465 (default: the config's daemon.metrics, else none)." };
        var stopAfter = new Option<string?>("--stop-after") { Description = "Stop by itself after this long, exactly as on SIGTERM (for tests and maintenance windows), e.g. 8h." };
        var command = new Command("daemon",
            "Run the config's jobs on their schedules, in the foreground, logging one line per event to stdout: text, or\n" +
            "JSON lines with --log-format json. Made to run under systemd, a container runtime or any supervisor.\n\n" +
            "A job runs when its 'schedule' (cron: 5 fields, or 6 with seconds first, or @daily and the like), read in its\n" +
            "'time_zone' (IANA, default UTC), comes round, plus a random delay of up to its 'jitter'. Jobs without a\n" +
            "schedule are not run by the daemon. Rules:\n" +
            "  - a job never runs twice at once: a slot that passes while it still runs starts it once, right after;\n" +
            "  - at most --max-concurrent jobs run at once; the others wait, the one due first starting first;\n" +
            "  - after downtime, a job that missed slots runs ONCE at start (not once per missed slot), using the last\n" +
            "    slot handled, kept in its state file; a job the daemon never ran before waits for its next slot;\n" +
            "  - a run that reaches the job's 'max_duration' stops gracefully and is reported incomplete: what it stored\n" +
            "    is kept in an incomplete snapshot and the next run goes on from it;\n" +
            "  - a job whose last success is older than its 'rpo' is reported stale, once until it succeeds again.\n\n" +
            "A target with 'prune: {schedule: ...}' is pruned on that schedule by the same rules (no overlap, catch-up\n" +
            "once, counted against --max-concurrent, last slot in prune/TARGET.json), with its max_unused and\n" +
            "max_repack_size. A prune holds the exclusive lock, so it waits for that target's running jobs and they wait\n" +
            "for it; a prune that fails (locked, damaged repository) is logged and retried at its next slot.\n\n" +
            "Each run is recorded in the job's state file (last run, outcome, snapshot, error, last success), which\n" +
            "'cairn job run' also writes, so a job run by a systemd timer keeps the same record.\n\n" +
            "On SIGTERM or Ctrl-C no new run starts; running jobs get the grace period to finish, then are asked to\n" +
            "checkpoint (they end incomplete, keeping what they stored, and release their locks). A second signal\n" +
            "interrupts at once. Give a supervisor a stop timeout longer than the grace period.\n\n" +
            "After each complete run the job's retention and archive tier are applied, and every run's start and end\n" +
            "(and a stale job) go to the job's notification channels. With --metrics (or daemon.metrics), Prometheus\n" +
            "metrics per job, instance and environment are served at http://ADDRESS/metrics (see README, Alerts and\n" +
            "metrics); the last run and last success come back from the state files when the daemon restarts.\n\n" +
            "Exit codes: 0 stopped after a signal or --stop-after; 2 bad config or options (a metrics address in use).\n\n" +
            "Examples:\n" +
            "  cairn --config /etc/cairn/cairn.yaml daemon\n" +
            "  cairn daemon --log-format json --max-concurrent 2 --metrics 127.0.0.1:9465\n" +
            "  cairn --environment prod daemon --state-dir /var/lib/cairn --grace-period 10m");
        command.Add(logFormat);
        command.Add(maxConcurrent);
        command.Add(stateDir);
        command.Add(grace);
        command.Add(metricsAddress);
        command.Add(stopAfter);
        context.SetAction(command, async (session, ct) =>
        {
            var config = ConfigAccess.Load(session);
            if (session.Get(maxConcurrent) is < 1) throw new CairnException("--max-concurrent must be at least 1", ExitCode.Usage);
            var format = session.Get(logFormat) is { } f ? (f == "json" ? LogFormat.Json : LogFormat.Text) : config.Daemon.LogFormat;
            var gracePeriod = session.Get(grace) is { } g ? Durations.Parse(g, "--grace-period") : (TimeSpan?)null;
            var stopIn = session.Get(stopAfter) is { } s ? Durations.Parse(s, "--stop-after") : (TimeSpan?)null;
            // Every schedule is checked before anything runs (the config loader checked all but ${VARIABLE} ones).
            foreach (var job in config.Jobs.Where(j => j.Schedule is not null))
            {
                try
                {
                    CronSchedule.Parse(job.Schedule!, job.TimeZone);
                }
                catch (CairnException e)
                {
                    throw new CairnException($"job '{job.Name}': {e.Message}", ExitCode.Usage);
                }
            }
            foreach (var (name, target) in config.Targets.Where(t => t.Value.Prune is not null))
            {
                if (CronSchedule.Problem(target.Prune!.Schedule, target.Prune.TimeZone) is { } problem)
                    throw new CairnException($"target '{name}': prune: {problem}", ExitCode.Usage);
            }

            var time = session.Env.Time;
            var log = new DaemonLog(session.Out, format, time);
            var state = JobServices.StateStore(session, config, session.Get(stateDir));
            var address = session.Get(metricsAddress) ?? config.Daemon.Metrics;
            var metrics = address is null ? null : CairnMetrics.ForConfig(config);
            await using var endpoint = address is null ? null : MetricsEndpoint.Start(address, metrics!);
            if (metrics is not null)
            {
                // A restarted daemon would otherwise have no last-success series until each job's next run, and the
                // "backup too old" alert nothing to fire on.
                foreach (var job in config.Jobs)
                {
                    var known = state.Load(config.Instance, job.Name);
                    metrics.SetLastRun(job.Name, known.LastRun?.Finished, known.LastSuccess, known.LastRun is null ? null : known.LastRun.Outcome == JobOutcome.Success);
                }
                log.Info(null, $"serving metrics at http://{address}/metrics");
            }
            var observers = JobServices.Observers(session, config, line => log.Warn(null, line), new JobServices.DaemonParts(log, metrics));
            session.Env.StopsGracefully = true;
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(session.Env.GracefulStop.Token);
            if (stopIn is { } delay) shutdown.CancelAfter(delay);

            var daemon = new Daemon(config, state, log, time, new Random(), (job, stop, abort) =>
            {
                var execution = JobServices.Execution(session, config, state, observers,
                    line => { if (session.Verbose) log.Info(job.Name, line); },
                    line => log.Warn(job.Name, line));
                return execution.RunAsync(job.Name, new JobRunOptions(), "schedule", stop, abort);
            })
            {
                // The exclusive lock: a backup's packs are not indexed until it ends and would look unused.
                Prune = (target, token) => ScheduledPrune.RunAsync(target,
                    (t, c) => TargetAccess.OpenAsync(session, t, LockKind.Exclusive, c, loadIndex: false),
                    line => { if (session.Verbose) log.Info(null, line, ("target", target.Name)); }, token),
                MaxConcurrentJobs = session.Get(maxConcurrent),
                GracePeriod = gracePeriod,
                Observers = observers,
            };
            await daemon.RunAsync(shutdown.Token, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
