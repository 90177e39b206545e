using Cairn.Orchestration.Config;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Orchestration.Service;

/// <summary>
/// What <c>cairn status</c> reports about one job: its state file measured against its rpo and schedule, and (when
/// its first target was opened) how many of its snapshots that target holds and how big the repository is.
/// </summary>
public sealed record JobStatus
{
    /// <summary>The job's name.</summary>
    public required string Job { get; init; }

    /// <summary>The config's instance.</summary>
    public string? Instance { get; init; }

    /// <summary>The config's environment.</summary>
    public string? Environment { get; init; }

    /// <summary>The job's last run, any outcome.</summary>
    public JobRunRecord? LastRun { get; init; }

    /// <summary>When its last successful (or partial) run finished.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>The snapshot of that run.</summary>
    public string? LastSuccessSnapshotId { get; init; }

    /// <summary>How old the last success is (null: none).</summary>
    public TimeSpan? Age { get; init; }

    /// <summary>The job's rpo (null: none, so it is never stale).</summary>
    public TimeSpan? Rpo { get; init; }

    /// <summary>True when the job has an rpo and is past it, or has never succeeded and has no record at all.</summary>
    public bool Stale { get; init; }

    /// <summary>The next slot of its schedule (jitter not added); null without a schedule.</summary>
    public DateTimeOffset? NextRun { get; init; }

    /// <summary>The job's jitter: the run starts up to this long after <see cref="NextRun"/>.</summary>
    public TimeSpan? Jitter { get; init; }

    /// <summary>The target counted in (the job's first); null when targets were not opened.</summary>
    public string? Target { get; init; }

    /// <summary>The job's snapshots (this instance's) in <see cref="Target"/>.</summary>
    public long? Snapshots { get; init; }

    /// <summary>The bytes <see cref="Target"/>'s repository takes in its storage (all jobs' data, every file but locks).</summary>
    public long? RepositoryBytes { get; init; }

    /// <summary>Why part of the status could not be found out (the target could not be opened, a bad schedule), in one line.</summary>
    public string? Error { get; init; }

    /// <summary>The exit code of <see cref="Error"/> (Success when there is none).</summary>
    public ExitCode ErrorCode { get; init; }

    /// <summary>
    /// The job's status from its state at <paramref name="now"/>. Staleness is the daemon's rule (<see cref="JobState.IsStale"/>:
    /// a job that never succeeded counts from its state file's creation), plus: a job with an rpo and no record at all
    /// is stale, since nothing shows that it ever ran or that a daemon knows it.
    /// </summary>
    public static JobStatus FromState(CairnConfig config, JobDefinition job, JobState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(state);
        var status = new JobStatus
        {
            Job = job.Name,
            Instance = config.Instance,
            Environment = config.Environment,
            LastRun = state.LastRun,
            LastSuccess = state.LastSuccess,
            LastSuccessSnapshotId = state.LastSuccessSnapshotId,
            Age = now - state.LastSuccess,
            Rpo = job.Rpo,
            Stale = state.IsStale(job.Rpo, now) || (job.Rpo is not null && state.LastSuccess is null && state.Created is null),
            Jitter = job.Jitter,
        };
        if (job.Schedule is null) return status;
        try
        {
            return status with { NextRun = CronSchedule.Parse(job.Schedule, job.TimeZone).NextAfter(now) };
        }
        catch (CairnException e)
        {
            // Only a schedule built from a ${VARIABLE} gets here: the loader checked the others.
            return status.WithError($"schedule: {e.Message}", ExitCode.Usage);
        }
    }

    /// <summary>This status with what <paramref name="contents"/> (its first target's) says about it.</summary>
    public JobStatus WithContents(string target, RepositoryContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        return this with { Target = target, Snapshots = contents.CountOf(Job, Instance), RepositoryBytes = contents.Bytes };
    }

    /// <summary>This status with an error (the first one is kept).</summary>
    public JobStatus WithError(string error, ExitCode code) => Error is null ? this with { Error = error, ErrorCode = code } : this;
}

/// <summary>What one repository holds, for status and metrics: its snapshots and the bytes it takes in its storage.</summary>
public sealed record RepositoryContents(IReadOnlyList<Snapshot> Snapshots, long Bytes)
{
    /// <summary>Snapshots of <paramref name="job"/> made under <paramref name="instance"/>, of any status.</summary>
    public long CountOf(string job, string? instance) => Snapshots.Count(s => s.Job == job && s.Instance == instance);

    /// <summary>
    /// Lists the repository: its snapshots, and the sizes of its files as the storage lists them (packs, indexes,
    /// snapshots, keys, config; not locks, which come and go). Needs no index, so the repository may be opened without one.
    /// </summary>
    public static async Task<RepositoryContents> ReadAsync(Repository repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var snapshots = await repository.ListSnapshotsAsync(SnapshotFilter.All, cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        foreach (var kind in new[] { BlobKind.Config, BlobKind.Key, BlobKind.Pack, BlobKind.Index, BlobKind.Snapshot })
            await foreach (var info in repository.Blobs.ListAsync(kind, cancellationToken).ConfigureAwait(false))
                bytes += info.Length;
        return new RepositoryContents(snapshots, bytes);
    }
}
