using Cairn.Content;
using Cairn.Maintenance.Copy;
using Cairn.Maintenance.Retention;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Retention;

/// <summary>
/// Layer 6: what happens to a job's snapshots after a run. Called by <c>cairn job run</c> and the daemon after
/// <see cref="JobRunner.RunAsync"/>:
/// <list type="number">
/// <item>Only after a COMPLETE run. After a failed, partial or dry run nothing is copied or forgotten: a failing job
/// must not roll its good history away, and a partial one says something needs attention; the next complete run
/// catches up.</item>
/// <item>Archive tier (job <c>archive:</c>): the primary's snapshots that the archive rule chooses (see
/// <see cref="ArchiveSelection"/>) are copied to the archive target, then the archive's retention is applied there.
/// This runs before any hot snapshot is forgotten, and a snapshot the archive should have but lacks (because this step
/// failed) is not forgotten from the primary.</item>
/// <item>Hot retention (job <c>retention:</c>) in each of the job's targets, the primary and its replicas, each on its
/// own: a target the run could not write to is skipped (forgetting there without a new snapshot would only shrink its
/// history), and a target that fails is reported while the others are still processed.</item>
/// </list>
/// Only this job's snapshots are considered (those whose job is the job's name and whose instance is the config's),
/// grouped by host and paths as forget groups them, with periods in the job's time_zone (default UTC). A policy never
/// forgets a group's newest complete snapshot, and failed or partial snapshots never count as kept-good (see
/// <see cref="RetentionPlanner"/>). Only snapshot records are removed; the data goes with the target's scheduled prune
/// (see <see cref="ScheduledPrune"/>).
/// </summary>
/// <remarks>
/// The opener may take the same shared lock a backup takes: forgetting deletes snapshot records only, never data, so it
/// cannot hurt a concurrent backup, and prune, which deletes data, takes the exclusive lock and so excludes this.
/// </remarks>
public sealed class JobRetention
{
    private static readonly IReadOnlySet<ObjectId> s_nothingHeld = new HashSet<ObjectId>();

    private readonly CairnConfig _config;
    private readonly Func<TargetDefinition, CancellationToken, Task<Repository>> _openTarget;
    private readonly TimeProvider _time;

    /// <summary>Prepares retention for <paramref name="config"/>'s jobs; <paramref name="openTarget"/> opens a target's repository (disposed here).</summary>
    public JobRetention(CairnConfig config, Func<TargetDefinition, CancellationToken, Task<Repository>> openTarget, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(openTarget);
        ArgumentNullException.ThrowIfNull(time);
        _config = config;
        _openTarget = openTarget;
        _time = time;
    }

    /// <summary>Progress lines.</summary>
    public Action<string>? Info { get; init; }

    /// <summary>Applies <paramref name="job"/>'s retention and archive tier after <paramref name="runResult"/> (see the class).</summary>
    public static Task<JobRetentionOutcome> ApplyAsync(CairnConfig config, JobDefinition job, JobRunResult runResult,
        Func<TargetDefinition, CancellationToken, Task<Repository>> openTarget, TimeProvider time, CancellationToken cancellationToken) =>
        new JobRetention(config, openTarget, time).ApplyAsync(job, runResult, cancellationToken);

    /// <summary>
    /// Applies <paramref name="job"/>'s retention and archive tier after <paramref name="runResult"/> (a run of that job).
    /// Failures of targets are in the outcome; only a bad retention or time zone (usage) and cancellation throw.
    /// </summary>
    public async Task<JobRetentionOutcome> ApplyAsync(JobDefinition job, JobRunResult runResult, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(runResult);
        if (runResult.Job.Name != job.Name) throw new ArgumentException($"the run is of job '{runResult.Job.Name}', not '{job.Name}'", nameof(runResult));
        if (job.Retention is null && job.Archive is null) return NotApplied(job, "the job has no retention or archive") with { Configured = false };
        var hot = job.Retention is { } retention ? RetentionDefinitions.ToPolicy(retention, $"jobs.{job.Name}.retention") : null;
        var archive = job.Archive is { } a ? RetentionDefinitions.ToPolicy(a.Retention, $"jobs.{job.Name}.archive.retention", archive: true) : null;
        if (runResult.DryRun || runResult.Snapshot is null) return NotApplied(job, "a dry run stores nothing");
        if (runResult.Snapshot.Status != SnapshotStatus.Complete)
            return NotApplied(job, $"the run was {runResult.Snapshot.Status.ToString().ToLowerInvariant()}: retention runs only after a complete run");
        var zone = TimeZoneOf(job);
        var targets = job.Targets.Select(name => Target(job, name)).ToList();

        var outcomes = new List<TargetRetentionOutcome>();
        var held = new HashSet<ObjectId>();
        Repository? primary = null;
        CairnException? primaryFailure = null;
        try
        {
            try
            {
                primary = await _openTarget(targets[0], cancellationToken).ConfigureAwait(false);
            }
            catch (CairnException e) when (!cancellationToken.IsCancellationRequested)
            {
                primaryFailure = e;
            }
            if (archive is not null)
                outcomes.Add(await ArchiveAsync(job, primary, primaryFailure, archive, zone, held, cancellationToken).ConfigureAwait(false));
            if (hot is null) return new JobRetentionOutcome { Job = job.Name, Targets = outcomes };
            for (int i = 0; i < targets.Count; i++)
            {
                var target = targets[i];
                var role = i == 0 ? RetentionRole.Primary : RetentionRole.Replica;
                if (i == 0)
                {
                    outcomes.Add(primary is null
                        ? Failed(target.Name, role, primaryFailure!)
                        : await ForgetAsync(job, primary, target.Name, role, hot, zone, held, cancellationToken).ConfigureAwait(false));
                    continue;
                }
                if (runResult.Targets.FirstOrDefault(t => t.Target == target.Name) is not { Error: null })
                {
                    outcomes.Add(new TargetRetentionOutcome
                    {
                        Target = target.Name, Role = role, Skipped = "this run's snapshot could not be copied here, so nothing is forgotten here",
                    });
                    continue;
                }
                outcomes.Add(await ReplicaAsync(job, target, hot, zone, cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            if (primary is not null) await primary.DisposeAsync().ConfigureAwait(false);
        }
        return new JobRetentionOutcome { Job = job.Name, Targets = outcomes };
    }

    private async Task<TargetRetentionOutcome> ReplicaAsync(JobDefinition job, TargetDefinition target, RetentionPolicy policy, TimeZoneInfo zone,
        CancellationToken cancellationToken)
    {
        Repository repository;
        try
        {
            repository = await _openTarget(target, cancellationToken).ConfigureAwait(false);
        }
        catch (CairnException e) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(target.Name, RetentionRole.Replica, e);
        }
        await using (repository.ConfigureAwait(false))
            return await ForgetAsync(job, repository, target.Name, RetentionRole.Replica, policy, zone, s_nothingHeld, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies what the archive should receive from <paramref name="primary"/>, then applies the archive's retention
    /// there. Fills <paramref name="held"/> with the primary's snapshots that must not be forgotten because the
    /// archive should have them and does not (all candidates if the archive could not even be read).
    /// </summary>
    private async Task<TargetRetentionOutcome> ArchiveAsync(JobDefinition job, Repository? primary, CairnException? primaryFailure, RetentionPolicy policy,
        TimeZoneInfo zone, HashSet<ObjectId> held, CancellationToken cancellationToken)
    {
        var target = Target(job, job.Archive!.Target);
        if (primary is null)
            return Failed(target.Name, RetentionRole.Archive, new CairnException(
                $"its source, target {job.Targets[0]}, could not be opened: {primaryFailure!.Message}", primaryFailure.ExitCode));
        var copied = new List<ArchivedSnapshot>();
        try
        {
            var hot = await JobSnapshotsAsync(job, primary, cancellationToken).ConfigureAwait(false);
            var candidates = ArchiveSelection.Candidates(hot, policy, zone);
            held.UnionWith(candidates.Select(s => s.Id));
            await using var archive = await _openTarget(target, cancellationToken).ConfigureAwait(false);
            var choice = ArchiveSelection.Choose(hot, await JobSnapshotsAsync(job, archive, cancellationToken).ConfigureAwait(false),
                policy, _time.GetUtcNow(), zone);
            held.ExceptWith(choice.Present.Select(s => s.Id));
            if (choice.ToCopy.Count > 0)
            {
                var copier = new SnapshotCopier(primary, archive, new CopyOptions
                {
                    OnSnapshot = outcome =>
                    {
                        if (outcome is { Action: CopyAction.Copied, CopyId: { } id }) copied.Add(new ArchivedSnapshot(outcome.Source, id));
                        held.Remove(outcome.Source.Id);
                    },
                });
                await copier.RunAsync(choice.ToCopy, cancellationToken).ConfigureAwait(false);
                Info?.Invoke($"archive {target.Name}: copied {copied.Count} snapshots ({string.Join(", ", copied.Select(c => c.Source.Time.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)))})");
            }
            // What is left are candidates the archive's retention would not keep: no reason to hold them in the primary.
            held.Clear();
            var result = await ForgetAsync(job, archive, target.Name, RetentionRole.Archive, policy, zone, s_nothingHeld, cancellationToken).ConfigureAwait(false);
            return result with { Copied = copied };
        }
        catch (CairnException e) when (!cancellationToken.IsCancellationRequested)
        {
            Info?.Invoke($"archive {target.Name} failed: {e.Message}");
            return Failed(target.Name, RetentionRole.Archive, e) with { Copied = copied };
        }
    }

    /// <summary>Plans <paramref name="policy"/> over the job's snapshots in the repository and forgets what it removes, except <paramref name="held"/>.</summary>
    private async Task<TargetRetentionOutcome> ForgetAsync(JobDefinition job, Repository repository, string target, RetentionRole role, RetentionPolicy policy,
        TimeZoneInfo zone, IReadOnlySet<ObjectId> held, CancellationToken cancellationToken)
    {
        var forgotten = new List<Snapshot>();
        try
        {
            var snapshots = await JobSnapshotsAsync(job, repository, cancellationToken).ConfigureAwait(false);
            var plan = RetentionPlanner.Plan(snapshots, policy, _time.GetUtcNow(), zone);
            var holding = plan.Removed.Where(s => held.Contains(s.Id)).ToList();
            foreach (var snapshot in plan.Removed.Where(s => !held.Contains(s.Id)).OrderBy(s => s.Time))
            {
                await repository.DeleteSnapshotAsync(snapshot.Id, cancellationToken).ConfigureAwait(false);
                forgotten.Add(snapshot);
            }
            var kept = plan.Groups.SelectMany(g => g.Kept).Concat(holding).OrderByDescending(s => s.Time).ThenByDescending(s => s.Id).ToList();
            Info?.Invoke($"retention in target {target}: kept {kept.Count}, forgot {forgotten.Count}" +
                (holding.Count > 0 ? $", held {holding.Count} until the archive has them" : ""));
            return new TargetRetentionOutcome { Target = target, Role = role, Kept = kept, Forgotten = forgotten, HeldForArchive = holding };
        }
        catch (CairnException e) when (!cancellationToken.IsCancellationRequested)
        {
            Info?.Invoke($"retention in target {target} failed: {e.Message}");
            return Failed(target, role, e) with { Forgotten = forgotten };
        }
    }

    /// <summary>This job's snapshots in the repository: its name, and the config's instance (another installation's are not ours).</summary>
    private async Task<List<Snapshot>> JobSnapshotsAsync(JobDefinition job, Repository repository, CancellationToken cancellationToken)
    {
        var all = await repository.ListSnapshotsAsync(SnapshotFilter.All, cancellationToken).ConfigureAwait(false);
        return [.. all.Where(s => s.Job == job.Name && s.Instance == _config.Instance)];
    }

    private TargetDefinition Target(JobDefinition job, string name) => _config.Targets.TryGetValue(name, out var target) ? target
        : throw new CairnException($"job '{job.Name}' names target '{name}', which the config does not define", ExitCode.Usage);

    /// <summary>The zone whose calendar defines the periods: the job's time_zone (its schedule's), else UTC.</summary>
    public static TimeZoneInfo TimeZoneOf(JobDefinition job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.TimeZone is null) return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(job.TimeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new CairnException($"jobs.{job.Name}.time_zone: unknown time zone '{job.TimeZone}': use an IANA name such as UTC or Europe/Berlin", ExitCode.Usage, e);
        }
    }

    private static JobRetentionOutcome NotApplied(JobDefinition job, string why) => new() { Job = job.Name, NotApplied = why };

    private static TargetRetentionOutcome Failed(string target, RetentionRole role, CairnException e) =>
        new() { Target = target, Role = role, Error = e.Message, ExitCode = e.ExitCode };
}
