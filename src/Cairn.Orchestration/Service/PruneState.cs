namespace Cairn.Orchestration.Service;

/// <summary>One finished scheduled prune of a target, as recorded in its prune state file.</summary>
public sealed record PruneRunRecord
{
    /// <summary>When the prune started.</summary>
    public required DateTimeOffset Started { get; init; }

    /// <summary>When it ended.</summary>
    public required DateTimeOffset Finished { get; init; }

    /// <summary>0 when it ran; else the exit code <c>cairn prune</c> would give (11 locked, 14 damaged, …).</summary>
    public int ExitCode { get; init; }

    /// <summary>Why it failed or was refused (nothing deleted), or null.</summary>
    public string? Error { get; init; }

    /// <summary>Packs deleted.</summary>
    public int PacksDeleted { get; init; }

    /// <summary>Packs repacked.</summary>
    public int PacksRepacked { get; init; }

    /// <summary>Bytes freed (deleted minus written).</summary>
    public long BytesFreed { get; init; }
}

/// <summary>
/// What the daemon remembers about one target's scheduled prune (<c>targets.NAME.prune</c>): the last schedule slot
/// handled, for catch-up once after downtime, and the last prune. Kept as JSON in the state directory
/// (<c>prune/TARGET.json</c>, or <c>prune/INSTANCE/TARGET.json</c>), never in the repository.
/// </summary>
public sealed record PruneState
{
    /// <summary>Layout version of the file.</summary>
    public int Version { get; init; } = 1;

    /// <summary>The target's name.</summary>
    public required string Target { get; init; }

    /// <summary>The config's instance, if any.</summary>
    public string? Instance { get; init; }

    /// <summary>Every prune slot at or before this time has been handled (pruned, or merged into one catch-up prune).</summary>
    public DateTimeOffset? LastSlot { get; init; }

    /// <summary>The last prune that ran to an outcome (done or failed).</summary>
    public PruneRunRecord? LastRun { get; init; }

    /// <summary>Prunes recorded.</summary>
    public long RunsTotal { get; init; }

    /// <summary>Prunes that failed or were refused.</summary>
    public long FailuresTotal { get; init; }
}
