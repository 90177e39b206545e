using Cairn.Content;
using Cairn.Maintenance.Copy;
using Cairn.Orchestration.Config;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Jobs;

/// <summary>Which components of a job to run, and whether to run them at all.</summary>
public sealed record JobRunOptions
{
    /// <summary>Run only these components (<c>--component</c>); empty: all.</summary>
    public IReadOnlyList<string> Components { get; init; } = [];

    /// <summary>Leave these components out (<c>--skip</c>).</summary>
    public IReadOnlyList<string> Skip { get; init; } = [];

    /// <summary>Say what would run, and run and store nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// A checkpoint request (max_duration reached, shutdown): once cancelled, the run stops reading, keeps what it stored
    /// in an incomplete snapshot of the first target (not copied to the others) and returns; the next run continues from it.
    /// </summary>
    public CancellationToken Stop { get; init; }

    /// <summary>Why <see cref="Stop"/> fired, for the snapshot's record (e.g. "max_duration 6h reached").</summary>
    public Func<string>? StopReason { get; init; }
}

/// <summary>What happened at one target of a job run.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="SnapshotId">The snapshot's id there (null when writing or copying to it failed).</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="ExitCode">The failure's exit code (Success when it did not fail).</param>
public sealed record TargetOutcome(string Target, ObjectId? SnapshotId, string? Error, ExitCode ExitCode);

/// <summary>The outcome of a job run.</summary>
public sealed record JobRunResult
{
    /// <summary>The job that ran.</summary>
    public required JobDefinition Job { get; init; }

    /// <summary>The components selected to run, in order.</summary>
    public required IReadOnlyList<ComponentDefinition> Selected { get; init; }

    /// <summary>Nothing ran or was stored.</summary>
    public required bool DryRun { get; init; }

    /// <summary>The snapshot written to the first target (null for a dry run).</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Every target, the first one first (empty for a dry run).</summary>
    public IReadOnlyList<TargetOutcome> Targets { get; init; } = [];

    /// <summary>
    /// 0 when everything was stored everywhere; 21 when a component failed; 22 when the run was stopped (incomplete);
    /// otherwise a failed copy's code; 3 when components only had warnings.
    /// </summary>
    public ExitCode ExitCode =>
        Snapshot is null ? ExitCode.Success
        : Snapshot.Status == SnapshotStatus.Failed ? ExitCode.ComponentFailed
        : Snapshot.Status == SnapshotStatus.Incomplete ? ExitCode.Incomplete
        : Targets.FirstOrDefault(t => t.Error is not null) is { } failed ? failed.ExitCode
        : Snapshot.Status == SnapshotStatus.Partial ? ExitCode.Partial
        : ExitCode.Success;
}

/// <summary>
/// Layer 6: runs a job of the config. The selected components run in order into one snapshot in the job's first
/// target (see <see cref="ComponentSnapshotWriter"/>), which is then copied to the other targets; a target that cannot
/// be written is reported and the others still get their copy.
/// </summary>
public sealed class JobRunner
{
    private readonly CairnConfig _config;
    private readonly Func<TargetDefinition, CancellationToken, Task<Repository>> _openTarget;
    private readonly TimeProvider _time;

    /// <summary>
    /// Prepares runs of <paramref name="config"/>'s jobs; <paramref name="openTarget"/> opens a target's repository
    /// (with the lock a backup takes), which the runner disposes.
    /// </summary>
    public JobRunner(CairnConfig config, Func<TargetDefinition, CancellationToken, Task<Repository>> openTarget, TimeProvider time)
    {
        _config = config;
        _openTarget = openTarget;
        _time = time;
    }

    /// <summary>Progress lines (components' own, and the runner's).</summary>
    public Action<string>? Info { get; init; }

    /// <summary>Called as each component finishes.</summary>
    public Action<SnapshotComponent>? ComponentFinished { get; init; }

    /// <summary>Called as each target is done (the first after the snapshot is written, the others after their copy).</summary>
    public Action<TargetOutcome>? TargetFinished { get; init; }

    /// <summary>The components of <paramref name="job"/> that <paramref name="options"/> select, or a usage error naming unknown ones.</summary>
    public static IReadOnlyList<ComponentDefinition> Select(JobDefinition job, JobRunOptions options)
    {
        var names = job.Components.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = options.Components.Concat(options.Skip).Where(n => !names.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new CairnException($"job '{job.Name}' has no component {string.Join(", ", unknown.Select(n => $"'{n}'"))}: it has {string.Join(", ", names)}", ExitCode.Usage);
        var selected = job.Components
            .Where(c => (options.Components.Count == 0 || options.Components.Contains(c.Name, StringComparer.Ordinal)) && !options.Skip.Contains(c.Name, StringComparer.Ordinal))
            .ToList();
        if (selected.Count == 0) throw new CairnException($"--component and --skip leave nothing of job '{job.Name}' to run", ExitCode.Usage);
        return selected;
    }

    /// <summary>Runs the job. Only configuration errors, a first target that cannot be written, and cancellation throw.</summary>
    public async Task<JobRunResult> RunAsync(string jobName, JobRunOptions options, CancellationToken cancellationToken)
    {
        var job = _config.FindJob(jobName)
            ?? throw new CairnException($"the config {_config.SourcePath} has no job '{jobName}'" + (_config.Jobs.Count == 0 ? "" : ": it has " + string.Join(", ", _config.Jobs.Select(j => j.Name))), ExitCode.NotFound);
        var selected = Select(job, options);
        var targets = job.Targets.Select(name => _config.Targets.TryGetValue(name, out var t) ? t
            : throw new CairnException($"job '{job.Name}' writes to target '{name}', which the config does not define", ExitCode.Usage)).ToList();
        if (targets.Count == 0) throw new CairnException($"job '{job.Name}' has no target to write to", ExitCode.Usage);
        if (options.DryRun) return new JobRunResult { Job = job, Selected = selected, DryRun = true };

        var hostname = job.Host ?? Environment.MachineName;
        Snapshot snapshot;
        var outcomes = new List<TargetOutcome>();
        await using (var primary = await _openTarget(targets[0], cancellationToken).ConfigureAwait(false))
        {
            var parent = await JobParents.FindAsync(primary, job.Name, hostname, _config.Instance, cancellationToken).ConfigureAwait(false);
            var writer = new ComponentSnapshotWriter(primary, _time, Info) { ComponentFinished = ComponentFinished };
            // Instances are made per run from the typed options (a component holds no state between runs).
            snapshot = await writer.WriteAsync(new JobSnapshotRequest
            {
                Job = job.Name,
                Hostname = hostname,
                Tags = job.Tags,
                Instance = _config.Instance,
                Environment = _config.Environment,
                Parent = parent,
                Stop = options.Stop,
                StopReason = options.StopReason,
            }, [.. selected.Select(c => new JobComponent(c.Name, c.Type.Name, c.Create()))], cancellationToken).ConfigureAwait(false);
            Report(outcomes, new TargetOutcome(targets[0].Name, snapshot.Id, null, ExitCode.Success));

            // An incomplete snapshot stays in the first target: the next complete one is what replicas need, and a stopping
            // run should not start uploads that may take long.
            if (snapshot.Status == SnapshotStatus.Incomplete)
            {
                if (targets.Count > 1) Info?.Invoke($"incomplete snapshot not copied to {string.Join(", ", targets.Skip(1).Select(t => t.Name))}");
            }
            else
                foreach (var target in targets.Skip(1))
                    Report(outcomes, await CopyAsync(primary, snapshot, target, cancellationToken).ConfigureAwait(false));
        }
        return new JobRunResult { Job = job, Selected = selected, DryRun = false, Snapshot = snapshot, Targets = outcomes };
    }

    private void Report(List<TargetOutcome> outcomes, TargetOutcome outcome)
    {
        outcomes.Add(outcome);
        TargetFinished?.Invoke(outcome);
    }

    private async Task<TargetOutcome> CopyAsync(Repository primary, Snapshot snapshot, TargetDefinition target, CancellationToken cancellationToken)
    {
        try
        {
            await using var destination = await _openTarget(target, cancellationToken).ConfigureAwait(false);
            var result = await new SnapshotCopier(primary, destination, new CopyOptions()).RunAsync([snapshot], cancellationToken).ConfigureAwait(false);
            var outcome = result.Snapshots[0];
            Info?.Invoke($"copied to target {target.Name}: {outcome.BlobsAdded} new blobs, {outcome.BytesAdded} bytes");
            return new TargetOutcome(target.Name, outcome.CopyId, null, ExitCode.Success);
        }
        catch (CairnException e) when (!cancellationToken.IsCancellationRequested)
        {
            // One unreachable replica must not cost the others their copy; the run's exit code still says it failed.
            Info?.Invoke($"target {target.Name} failed: {e.Message}");
            return new TargetOutcome(target.Name, null, e.Message, e.ExitCode);
        }
    }
}
