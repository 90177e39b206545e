using System.Collections.Concurrent;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Retention;

namespace Cairn.Orchestration.Service;

/// <summary>Runs one job for the daemon: the job, a checkpoint request (stop) and an abort token; returns how it ended.</summary>
public delegate Task<JobRunReport> DaemonJobRunner(JobDefinition job, CancellationToken stop, CancellationToken abort);

/// <summary>Runs one scheduled prune of a target for the daemon (holding the target's exclusive lock); cancelled after the grace period.</summary>
public delegate Task<ScheduledPruneOutcome> DaemonPruneRunner(TargetDefinition target, CancellationToken cancellationToken);

/// <summary>
/// <c>cairn daemon</c>'s loop: runs the config's scheduled jobs when the <see cref="Scheduler"/> says they are due,
/// records each job's last handled slot in its state file (so a restart catches a missed slot up once), and reports jobs
/// whose last success is older than their rpo once per stale episode. Targets with <c>prune.schedule</c> are pruned on
/// that schedule by <see cref="Prune"/>, under the same rules (no overlap, catch-up once, the same concurrency limit,
/// the last handled slot in a prune state file), and never while a job that writes to the target runs: a prune takes
/// the exclusive lock, so it waits for the target's running jobs, and the target's jobs wait for it. Stopping (the <c>shutdown</c> token) starts no new
/// run, gives running ones the grace period to finish, then asks them to checkpoint and waits for them.
/// </summary>
public sealed class Daemon
{
    private readonly CairnConfig _config;
    private readonly JobStateStore _state;
    private readonly DaemonLog _log;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly DaemonJobRunner _run;

    /// <summary>Prepares the daemon; nothing runs before <see cref="RunAsync"/>.</summary>
    public Daemon(CairnConfig config, JobStateStore state, DaemonLog log, TimeProvider time, Random random, DaemonJobRunner run)
    {
        _config = config;
        _state = state;
        _log = log;
        _time = time;
        _random = random;
        _run = run;
    }

    /// <summary>At most this many runs at once (default: the config's daemon.max_concurrent_jobs).</summary>
    public int? MaxConcurrentJobs { get; init; }

    /// <summary>How long running jobs may take to finish after a stop before they are asked to checkpoint.</summary>
    public TimeSpan? GracePeriod { get; init; }

    /// <summary>Hear about stale jobs (runs are reported by the <see cref="JobExecution"/> the runner uses).</summary>
    public IReadOnlyList<IJobRunObserver> Observers { get; init; } = [];

    /// <summary>Runs the scheduled prunes of targets with <c>prune.schedule</c>; null: such schedules are only logged.</summary>
    public DaemonPruneRunner? Prune { get; init; }

    /// <summary>The scheduler's name for <paramref name="target"/>'s prune (a ':' never appears in a job's name).</summary>
    public static string PruneEntry(string target) => "prune:" + target;

    private static string? PrunedTarget(string entry) => entry.StartsWith("prune:", StringComparison.Ordinal) ? entry["prune:".Length..] : null;

    /// <summary>The longest the loop sleeps before it looks at the RPOs again.</summary>
    public TimeSpan MaxSleep { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Runs until <paramref name="shutdown"/> fires, then stops gracefully and returns. <paramref name="abort"/> (a second
    /// signal) abandons running jobs at once.
    /// </summary>
    public async Task RunAsync(CancellationToken shutdown, CancellationToken abort)
    {
        int maxConcurrent = Math.Max(1, MaxConcurrentJobs ?? _config.Daemon.MaxConcurrentJobs);
        var grace = GracePeriod ?? _config.Daemon.GracePeriod;
        var start = _time.GetUtcNow();
        var scheduled = new List<ScheduledJob>();
        foreach (var job in _config.Jobs)
        {
            // The RPO clock of a job that never succeeded starts when the daemon first knows it.
            if (_state.Load(_config.Instance, job.Name).Created is null)
                _state.Update(_config.Instance, job.Name, s => s.Created is null ? s with { Created = start } : s);
            if (job.Schedule is null)
            {
                _log.Info(job.Name, "no schedule: not run by the daemon ('cairn job run' runs it)");
                continue;
            }
            scheduled.Add(new ScheduledJob(job.Name, CronSchedule.Parse(job.Schedule, job.TimeZone), job.Jitter ?? TimeSpan.Zero));
        }
        var prunes = PruneSchedules();
        var scheduler = new Scheduler([.. scheduled, .. prunes], maxConcurrent, _time, _random, name =>
            PrunedTarget(name) is { } target ? _state.LoadPrune(_config.Instance, target).LastSlot : _state.Load(_config.Instance, name).LastSlot);
        _log.Info(null, "daemon started", ("jobs", scheduled.Count), ("prunes", prunes.Count), ("max_concurrent_jobs", maxConcurrent), ("state_directory", _state.Directory));
        foreach (var job in scheduled)
            _log.Info(job.Name, "scheduled", ("schedule", job.Schedule.Text), ("time_zone", job.Schedule.Zone.Id), ("next", scheduler.NextDue(job.Name)));
        foreach (var prune in prunes)
            _log.Info(null, "prune scheduled", ("target", PrunedTarget(prune.Name)), ("schedule", prune.Schedule.Text), ("time_zone", prune.Schedule.Zone.Id), ("next", scheduler.NextDue(prune.Name)));

        var running = new Dictionary<string, Task>(StringComparer.Ordinal);
        var finished = new ConcurrentQueue<string>();
        using var wake = new SemaphoreSlim(0);
        using var checkpoint = new CancellationTokenSource();
        while (!shutdown.IsCancellationRequested)
        {
            while (finished.TryDequeue(out var done))
            {
                running.Remove(done);
                scheduler.Finished(done);
            }
            foreach (var due in scheduler.TakeDue())
            {
                Func<Task> body;
                if (PrunedTarget(due.Job) is { } target)
                {
                    var definition = _config.Targets[target];
                    _log.Info(null, due.CatchUp ? "prune starting (catching up missed slots once)" : "prune starting", ("target", target), ("slot", due.Slot), ("handled_through", due.HandledThrough));
                    body = () => PruneOneAsync(definition, due, checkpoint.Token, abort);
                }
                else
                {
                    var job = _config.FindJob(due.Job)!;
                    _log.Info(job.Name, due.CatchUp ? "starting (catching up missed slots once)" : "starting", ("slot", due.Slot), ("handled_through", due.HandledThrough));
                    body = () => RunOneAsync(job, due, checkpoint.Token, abort);
                }
                running[due.Job] = Task.Run(async () =>
                {
                    try
                    {
                        await body().ConfigureAwait(false);
                    }
                    finally
                    {
                        finished.Enqueue(due.Job);
                        wake.Release();
                    }
                }, CancellationToken.None);
            }
            var now = _time.GetUtcNow();
            var staleCheck = await CheckStaleAsync(now, abort).ConfigureAwait(false);
            var next = new[] { scheduler.NextWake, staleCheck, now + MaxSleep }.Where(t => t is not null).Min()!.Value;
            if (next > now) await SleepAsync(next - now, wake, shutdown).ConfigureAwait(false);
        }

        var pending = running.Values.ToArray();
        _log.Info(null, "stopping: no new runs", ("running", pending.Length), ("grace_period", grace));
        var all = Task.WhenAll(pending);
        if (!all.IsCompleted && grace > TimeSpan.Zero)
            await Task.WhenAny(all, Task.Delay(grace, _time, abort)).ConfigureAwait(false);
        if (!all.IsCompleted)
        {
            _log.Warn(null, "grace period over: asking running jobs to checkpoint", ("running", running.Keys.Count(k => !running[k].IsCompleted)));
            await checkpoint.CancelAsync().ConfigureAwait(false);
        }
        await all.ConfigureAwait(false);
        _log.Info(null, "daemon stopped");
    }

    // Each target with a prune schedule, excluded with every scheduled job that writes to it (its targets and its archive).
    private List<ScheduledJob> PruneSchedules()
    {
        var prunes = new List<ScheduledJob>();
        foreach (var (name, target) in _config.Targets.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (target.Prune is not { } prune) continue;
            if (Prune is null)
            {
                _log.Info(null, "prune schedule not run: this daemon has no prune runner", ("target", name));
                continue;
            }
            var writers = _config.Jobs.Where(j => j.Targets.Contains(name) || j.Archive?.Target == name).Select(j => j.Name).ToList();
            prunes.Add(new ScheduledJob(PruneEntry(name), CronSchedule.Parse(prune.Schedule, prune.TimeZone), TimeSpan.Zero) { ExcludedWith = writers });
        }
        return prunes;
    }

    private async Task PruneOneAsync(TargetDefinition target, DueRun due, CancellationToken stop, CancellationToken abort)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        var started = _time.GetUtcNow();
        try
        {
            var outcome = await Prune!(target, cancel.Token).ConfigureAwait(false);
            var record = new PruneRunRecord
            {
                Started = started, Finished = _time.GetUtcNow(), ExitCode = (int)outcome.ExitCode, Error = outcome.Error,
                PacksDeleted = outcome.Result?.PacksDeleted ?? 0, PacksRepacked = outcome.Result?.PacksRepacked ?? 0, BytesFreed = outcome.Result?.BytesFreed ?? 0,
            };
            var fields = new (string, object?)[]
            {
                ("target", target.Name), ("exit_code", record.ExitCode), ("duration", record.Finished - record.Started),
                ("packs_deleted", record.PacksDeleted), ("packs_repacked", record.PacksRepacked), ("bytes_freed", record.BytesFreed), ("error", record.Error),
            };
            if (outcome.Error is null) _log.Info(null, "prune finished", fields);
            else _log.Warn(null, "prune failed", fields);
            _state.UpdatePrune(_config.Instance, target.Name, s => s with
            {
                LastSlot = s.LastSlot is { } last && last > due.HandledThrough ? last : due.HandledThrough,
                LastRun = record,
                RunsTotal = s.RunsTotal + 1,
                FailuresTotal = s.FailuresTotal + (outcome.Error is null ? 0 : 1),
            });
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The slot stays unhandled, so the next start catches it up; what this prune did is safe (see docs/FORMAT.md).
            _log.Warn(null, "prune stopped at shutdown: the repository stays consistent, the next start prunes again", ("target", target.Name));
        }
        catch (Exception e)
        {
            // Like a failed run: logged, handled (retried at the next slot, not in a loop), and the daemon goes on.
            _log.Warn(null, "prune failed", ("target", target.Name), ("error", e is CairnException ? e.Message : $"{e.GetType().Name}: {e.Message}"));
            _state.UpdatePrune(_config.Instance, target.Name, s => s with { LastSlot = s.LastSlot is { } last && last > due.HandledThrough ? last : due.HandledThrough });
        }
    }

    private async Task RunOneAsync(JobDefinition job, DueRun due, CancellationToken stop, CancellationToken abort)
    {
        try
        {
            var report = await _run(job, stop, abort).ConfigureAwait(false);
            var r = report.Record;
            var fields = new (string, object?)[]
            {
                ("outcome", r.Outcome.ToString().ToLowerInvariant()), ("exit_code", r.ExitCode), ("snapshot", r.SnapshotId?[..Math.Min(8, r.SnapshotId.Length)]),
                ("duration", TimeSpan.FromSeconds(r.DurationSeconds)), ("bytes_added", r.BytesAdded), ("files", r.Files),
                ("component", r.Component), ("error", r.Error), ("hint", report.Event.Hint),
            };
            if (r.Outcome is JobOutcome.Success or JobOutcome.Partial) _log.Info(job.Name, "finished", fields);
            else _log.Warn(job.Name, "finished", fields);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            _log.Warn(job.Name, "abandoned: cairn was stopped twice");
        }
        catch (Exception e)
        {
            // A run that throws (its state could not be written, a bug) must not take the daemon or the other jobs down.
            _log.Warn(job.Name, "failed", ("error", e is CairnException ? e.Message : $"{e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            // Handled even when the run failed: a failing job is retried at its next slot, not in a loop.
            _state.Update(_config.Instance, job.Name, s => s with { LastSlot = s.LastSlot is { } last && last > due.HandledThrough ? last : due.HandledThrough });
        }
    }

    // Reports each job newly past its rpo; returns when the next job would become stale.
    private async Task<DateTimeOffset?> CheckStaleAsync(DateTimeOffset now, CancellationToken abort)
    {
        DateTimeOffset? next = null;
        foreach (var job in _config.Jobs.Where(j => j.Rpo is not null))
        {
            var state = _state.Load(_config.Instance, job.Name);
            if (!state.IsStale(job.Rpo, now))
            {
                if ((state.LastSuccess ?? state.Created) is { } since && (next is null || since + job.Rpo!.Value < next))
                    next = since + job.Rpo!.Value + TimeSpan.FromSeconds(1);
                continue;
            }
            if (state.StaleReported is not null) continue;
            var stale = JobEvents.Stale(_config, job, state, now);
            _log.Warn(job.Name, "stale: " + stale.Error, ("last_success", state.LastSuccess), ("rpo", job.Rpo));
            _state.Update(_config.Instance, job.Name, s => s with { StaleReported = now });
            await ObserverCalls.NotifyAsync(Observers, o => o.JobStaleAsync(stale, abort), line => _log.Warn(job.Name, line), abort).ConfigureAwait(false);
        }
        return next;
    }

    private async Task SleepAsync(TimeSpan delay, SemaphoreSlim wake, CancellationToken shutdown)
    {
        using var sleeping = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        var woken = wake.WaitAsync(sleeping.Token);
        var timer = Task.Delay(delay, _time, sleeping.Token);
        await Task.WhenAny(woken, timer).ConfigureAwait(false);
        await sleeping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(woken, timer).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The other of the two was cancelled, as intended.
        }
        // A release consumed here is not lost: the loop drains the finished queue, not the semaphore count.
    }
}
