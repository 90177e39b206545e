using System.Runtime.ExceptionServices;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Notifications;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Service;

/// <summary>How one job run through <see cref="JobExecution"/> ended: its record, its event, and the runner's result or error.</summary>
public sealed record JobRunReport
{
    /// <summary>What the state file now says about this run.</summary>
    public required JobRunRecord Record { get; init; }

    /// <summary>The event observers received.</summary>
    public required JobEvent Event { get; init; }

    /// <summary>The runner's result; null when the run failed before writing a snapshot (then <see cref="Error"/> is set).</summary>
    public JobRunResult? Result { get; init; }

    /// <summary>The error that ended the run early, to rethrow where one-line error reporting happens (the CLI).</summary>
    public ExceptionDispatchInfo? Error { get; init; }

    /// <summary>The exit code of <c>cairn job run</c> for this run.</summary>
    public ExitCode ExitCode => (ExitCode)Record.ExitCode;
}

/// <summary>
/// THE way a job is run, by <c>cairn job run</c> and by the daemon alike: runs it with <see cref="JobRunner"/> under its
/// max_duration, records the run in the job's state file, and tells the observers (retention, notifications, metrics)
/// with a <see cref="JobEvent"/>. A run that reaches max_duration, or whose <c>stop</c> token fires (shutdown), stops
/// gracefully and ends "incomplete", keeping what it stored.
/// </summary>
public sealed class JobExecution
{
    private const int LogTailLines = 20;

    private readonly CairnConfig _config;
    private readonly JobStateStore _state;
    private readonly Func<TargetDefinition, CancellationToken, Task<Repository>> _openTarget;
    private readonly TimeProvider _time;

    /// <summary>Runs <paramref name="config"/>'s jobs, opening targets with <paramref name="openTarget"/> and recording runs in <paramref name="state"/>.</summary>
    public JobExecution(CairnConfig config, JobStateStore state, Func<TargetDefinition, CancellationToken, Task<Repository>> openTarget, TimeProvider time)
    {
        _config = config;
        _state = state;
        _openTarget = openTarget;
        _time = time;
    }

    /// <summary>Hear about every run (in order); the lead's hook for retention, notifications and metrics.</summary>
    public IReadOnlyList<IJobRunObserver> Observers { get; init; } = [];

    /// <summary>Progress lines of the run (components' and the runner's).</summary>
    public Action<string>? Info { get; init; }

    /// <summary>Problems that do not fail the run (an observer that threw).</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Called as each target is done.</summary>
    public Action<TargetOutcome>? TargetFinished { get; init; }

    /// <summary>
    /// Runs job <paramref name="jobName"/>. <paramref name="trigger"/> ("manual", "schedule") is recorded. <paramref name="stop"/>
    /// asks for a checkpoint (the run ends incomplete, keeping its work); <paramref name="abort"/> abandons the run (nothing
    /// more is written, the OperationCanceledException propagates). Configuration errors (unknown job or component) throw
    /// before anything is recorded; every other failure is recorded and returned in the report.
    /// </summary>
    public async Task<JobRunReport> RunAsync(string jobName, JobRunOptions options, string trigger, CancellationToken stop, CancellationToken abort)
    {
        var job = _config.FindJob(jobName)
            ?? throw new CairnException($"the config {_config.SourcePath} has no job '{jobName}'" + (_config.Jobs.Count == 0 ? "" : ": it has " + string.Join(", ", _config.Jobs.Select(j => j.Name))), ExitCode.NotFound);
        JobRunner.Select(job, options);
        var tail = new Queue<string>();
        void Line(string line)
        {
            lock (tail)
            {
                tail.Enqueue(line);
                while (tail.Count > LogTailLines) tail.Dequeue();
            }
            Info?.Invoke(line);
        }
        var started = _time.GetUtcNow();
        if (!options.DryRun)
            await ObserverCalls.NotifyAsync(Observers, o => o.RunStartedAsync(Base(job, started) with { Kind = NotificationEvent.Success, Started = true }, abort), Warn, abort).ConfigureAwait(false);

        using var deadline = job.MaxDuration is { } limit && limit > TimeSpan.Zero ? new CancellationTokenSource(limit, _time) : new CancellationTokenSource();
        using var anyStop = CancellationTokenSource.CreateLinkedTokenSource(stop, deadline.Token);
        string StopReason() => deadline.IsCancellationRequested ? $"max_duration {JobEvents.Describe(job.MaxDuration!.Value)} reached" : "cairn is stopping (SIGTERM)";
        var runner = new JobRunner(_config, _openTarget, _time) { Info = Line, TargetFinished = TargetFinished };

        JobRunResult? result = null;
        ExceptionDispatchInfo? error = null;
        try
        {
            result = await runner.RunAsync(job.Name, options with { Stop = anyStop.Token, StopReason = StopReason }, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            Record(job, new JobRunRecord
            {
                Started = started, Finished = _time.GetUtcNow(), Outcome = JobOutcome.Failure, ExitCode = (int)ExitCode.Interrupted, Trigger = trigger,
                Error = "interrupted",
            });
            throw;
        }
        catch (Exception e)
        {
            error = ExceptionDispatchInfo.Capture(e);
            Line("failed: " + Message(e));
        }
        if (result is { DryRun: true }) return new JobRunReport { Record = MakeRecord(job, started, trigger, result, null), Event = Base(job, started) with { Kind = NotificationEvent.Success }, Result = result };

        var record = MakeRecord(job, started, trigger, result, error?.SourceException);
        Record(job, record);
        List<string> lines;
        lock (tail) lines = [.. tail];
        var finished = Base(job, record.Finished) with
        {
            Kind = record.Outcome switch
            {
                JobOutcome.Failure => NotificationEvent.Failure,
                JobOutcome.Incomplete => NotificationEvent.Incomplete,
                _ => NotificationEvent.Success,
            },
            Component = record.Component,
            Error = record.Error,
            Hint = JobEvents.Hint((ExitCode)record.ExitCode, job.Name, record.Component),
            SnapshotId = result?.Snapshot?.Id.ToShortString(),
            Duration = record.Finished - record.Started,
            BytesRead = record.BytesRead,
            BytesAdded = record.BytesAdded,
            Files = record.Files,
            LogTail = lines,
        };
        await ObserverCalls.NotifyAsync(Observers, o => o.RunFinishedAsync(finished, result, abort), Warn, abort).ConfigureAwait(false);
        return new JobRunReport { Record = record, Event = finished, Result = result, Error = error };
    }

    private void Record(JobDefinition job, JobRunRecord record) =>
        _state.Update(_config.Instance, job.Name, state => state.WithRun(record));

    private JobEvent Base(JobDefinition job, DateTimeOffset time) => new()
    {
        Kind = NotificationEvent.Success,
        Job = job.Name,
        Instance = _config.Instance,
        Environment = _config.Environment,
        Time = time,
    };

    private JobRunRecord MakeRecord(JobDefinition job, DateTimeOffset started, string trigger, JobRunResult? result, Exception? error)
    {
        var finished = _time.GetUtcNow();
        if (result?.Snapshot is not { } snapshot)
        {
            var code = error is CairnException ce ? ce.ExitCode : result is null ? ExitCode.Failure : ExitCode.Success;
            return new JobRunRecord
            {
                Started = started, Finished = finished, Trigger = trigger, ExitCode = (int)code,
                Outcome = code == ExitCode.Success ? JobOutcome.Success : JobOutcome.Failure,
                Error = error is null ? null : Message(error),
                DurationSeconds = (finished - started).TotalSeconds,
            };
        }
        var exit = result.ExitCode;
        var broken = snapshot.Components.FirstOrDefault(c => c.Status is SnapshotStatus.Failed)
                     ?? snapshot.Components.FirstOrDefault(c => c.Status is SnapshotStatus.Incomplete);
        var failedTarget = result.Targets.FirstOrDefault(t => t.Error is not null);
        var summary = snapshot.Summary;
        return new JobRunRecord
        {
            Started = started,
            Finished = finished,
            Trigger = trigger,
            ExitCode = (int)exit,
            Outcome = exit switch
            {
                ExitCode.Success => JobOutcome.Success,
                ExitCode.Partial => JobOutcome.Partial,
                ExitCode.Incomplete => JobOutcome.Incomplete,
                _ => JobOutcome.Failure,
            },
            SnapshotId = snapshot.Id.ToString(),
            Component = broken?.Name,
            Error = broken?.Error ?? (failedTarget is null ? null : $"target {failedTarget.Target}: {failedTarget.Error}")
                    ?? (snapshot.Status == SnapshotStatus.Incomplete ? "stopped before every component ran" : null),
            BytesRead = summary?.BytesRead ?? 0,
            BytesAdded = summary?.BytesAdded ?? 0,
            Files = summary is null ? 0 : summary.FilesNew + summary.FilesChanged + summary.FilesUnchanged,
            DurationSeconds = (finished - started).TotalSeconds,
        };
    }

    private static string Message(Exception e) => e is CairnException ? e.Message : $"unexpected error: {e.GetType().Name}: {e.Message}";
}
