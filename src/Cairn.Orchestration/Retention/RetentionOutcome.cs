using Cairn.Content;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Retention;

/// <summary>The part a target plays for a job's retention.</summary>
public enum RetentionRole
{
    /// <summary>The job's first target, where the backup is written and the archive copies from.</summary>
    Primary,
    /// <summary>One of the job's other targets, which receive a copy of each backup.</summary>
    Replica,
    /// <summary>The job's archive tier.</summary>
    Archive,
}

/// <summary>A hot snapshot sent to the archive, and its id there.</summary>
public sealed record ArchivedSnapshot(Snapshot Source, ObjectId ArchiveId);

/// <summary>What retention did in one target: what was copied in (archive), kept and forgotten, or why it failed.</summary>
public sealed record TargetRetentionOutcome
{
    /// <summary>The target's name.</summary>
    public required string Target { get; init; }

    /// <summary>Primary, replica or archive.</summary>
    public required RetentionRole Role { get; init; }

    /// <summary>Archive only: the primary's snapshots copied to it in this pass.</summary>
    public IReadOnlyList<ArchivedSnapshot> Copied { get; init; } = [];

    /// <summary>The job's snapshots left in the target, newest first.</summary>
    public IReadOnlyList<Snapshot> Kept { get; init; } = [];

    /// <summary>The job's snapshots forgotten in the target (their data stays until a prune).</summary>
    public IReadOnlyList<Snapshot> Forgotten { get; init; } = [];

    /// <summary>
    /// Primary only: snapshots the hot policy would forget, kept because the archive should receive them but does not
    /// have them yet (the archive step failed); a later run sends them.
    /// </summary>
    public IReadOnlyList<Snapshot> HeldForArchive { get; init; } = [];

    /// <summary>Why nothing was done here although nothing failed (e.g. this run could not write its snapshot here).</summary>
    public string? Skipped { get; init; }

    /// <summary>Why it failed, or null. Snapshots forgotten before the failure are still listed.</summary>
    public string? Error { get; init; }

    /// <summary>The failure's exit code; Success when it did not fail.</summary>
    public ExitCode ExitCode { get; init; }
}

/// <summary>The outcome of applying a job's retention and archive tier after a run.</summary>
public sealed record JobRetentionOutcome
{
    /// <summary>The job's name.</summary>
    public required string Job { get; init; }

    /// <summary>False when the job has neither retention nor archive (then nothing is ever done).</summary>
    public bool Configured { get; init; } = true;

    /// <summary>Null when retention ran; otherwise why it did not (the run was not complete, the job has no retention …).</summary>
    public string? NotApplied { get; init; }

    /// <summary>Each target dealt with, in the order they were: the archive (it runs first), then the job's targets in order.</summary>
    public IReadOnlyList<TargetRetentionOutcome> Targets { get; init; } = [];

    /// <summary>The first failed target's exit code, or Success.</summary>
    public ExitCode ExitCode => Targets.FirstOrDefault(t => t.Error is not null)?.ExitCode ?? ExitCode.Success;

    /// <summary>Snapshots forgotten in all targets together.</summary>
    public int Forgotten => Targets.Sum(t => t.Forgotten.Count);

    /// <summary>Snapshots copied to the archive.</summary>
    public int Archived => Targets.Sum(t => t.Copied.Count);
}
