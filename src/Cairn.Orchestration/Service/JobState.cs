using System.Text.Json.Serialization;

namespace Cairn.Orchestration.Service;

/// <summary>How a job run ended, as the state file and logs say it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobOutcome>))]
public enum JobOutcome
{
    /// <summary>Everything was stored in every target.</summary>
    [JsonStringEnumMemberName("success")] Success,
    /// <summary>Stored, but some files could not be read (warnings); counts as a success for the RPO.</summary>
    [JsonStringEnumMemberName("partial")] Partial,
    /// <summary>A component failed, a target could not be written, or the run could not start.</summary>
    [JsonStringEnumMemberName("failure")] Failure,
    /// <summary>Stopped at max_duration or at shutdown; what it stored is kept and the next run continues from it.</summary>
    [JsonStringEnumMemberName("incomplete")] Incomplete,
}

/// <summary>One finished run of a job, as recorded in its state file.</summary>
public sealed record JobRunRecord
{
    /// <summary>When the run started.</summary>
    public required DateTimeOffset Started { get; init; }

    /// <summary>When it ended.</summary>
    public required DateTimeOffset Finished { get; init; }

    /// <summary>How it ended.</summary>
    public required JobOutcome Outcome { get; init; }

    /// <summary>The exit code <c>cairn job run</c> gives for it.</summary>
    public int ExitCode { get; init; }

    /// <summary>What started it: "schedule" (the daemon) or "manual" (<c>cairn job run</c>).</summary>
    public string Trigger { get; init; } = "manual";

    /// <summary>The snapshot it wrote in the first target (full id), if any.</summary>
    public string? SnapshotId { get; init; }

    /// <summary>The first failed component, if one failed.</summary>
    public string? Component { get; init; }

    /// <summary>The error in one line, for failures and incomplete runs.</summary>
    public string? Error { get; init; }

    /// <summary>Bytes read from the sources.</summary>
    public long BytesRead { get; init; }

    /// <summary>Bytes new to the repository.</summary>
    public long BytesAdded { get; init; }

    /// <summary>Files (and streams) in the snapshot.</summary>
    public long Files { get; init; }

    /// <summary>Wall-clock seconds.</summary>
    public double DurationSeconds { get; init; }
}

/// <summary>
/// What the daemon and <c>cairn job run</c> remember about one job between runs: its last run and last success, the
/// last schedule slot handled (for catch-up after downtime) and whether a stale alert went out. Stored as JSON in the
/// state directory; not part of any repository (README, "State files", specifies it).
/// </summary>
public sealed record JobState
{
    /// <summary>Layout version of the file.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The job's name.</summary>
    public required string Job { get; init; }

    /// <summary>The config's instance, if any.</summary>
    public string? Instance { get; init; }

    /// <summary>When this state was first written: the start of the RPO clock for a job that never succeeded.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>The last run (any outcome).</summary>
    public JobRunRecord? LastRun { get; init; }

    /// <summary>When the last successful (or partial) run finished.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>The snapshot of the last successful run.</summary>
    public string? LastSuccessSnapshotId { get; init; }

    /// <summary>Every schedule slot at or before this time has been handled (run, or merged into one catch-up run).</summary>
    public DateTimeOffset? LastSlot { get; init; }

    /// <summary>When the current stale episode was reported (null: not stale, or not yet reported); a success clears it.</summary>
    public DateTimeOffset? StaleReported { get; init; }

    /// <summary>Runs recorded, of any outcome.</summary>
    public long RunsTotal { get; init; }

    /// <summary>Runs that ended in failure.</summary>
    public long FailuresTotal { get; init; }

    /// <summary>Failures since the last success.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>True when the job has an RPO and its last success (or, never having succeeded, its first record) is older than it.</summary>
    public bool IsStale(TimeSpan? rpo, DateTimeOffset now) =>
        rpo is { } limit && (LastSuccess ?? Created) is { } since && now - since > limit;

    /// <summary>This state with <paramref name="run"/> recorded as the last run.</summary>
    public JobState WithRun(JobRunRecord run)
    {
        bool success = run.Outcome is JobOutcome.Success or JobOutcome.Partial;
        return this with
        {
            Created = Created ?? run.Started,
            LastRun = run,
            LastSuccess = success ? run.Finished : LastSuccess,
            LastSuccessSnapshotId = success ? run.SnapshotId : LastSuccessSnapshotId,
            StaleReported = success ? null : StaleReported,
            RunsTotal = RunsTotal + 1,
            FailuresTotal = FailuresTotal + (run.Outcome == JobOutcome.Failure ? 1 : 0),
            ConsecutiveFailures = success ? 0 : run.Outcome == JobOutcome.Failure ? ConsecutiveFailures + 1 : ConsecutiveFailures,
        };
    }
}
