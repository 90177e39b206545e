using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Notifications;

/// <summary>
/// Something about a job that people may need to hear: a run that started, failed, stopped incomplete or succeeded, or
/// a job whose last success is older than its RPO. Made by whoever ran the job (<c>cairn job run</c> or the daemon)
/// and sent to the job's notification channels; it carries everything a message needs, so channels never look elsewhere.
/// </summary>
public sealed record JobEvent
{
    /// <summary>Which event: failure, incomplete, stale or success (<see cref="Started"/> is not one of them).</summary>
    public required NotificationEvent Kind { get; init; }

    /// <summary>A run is starting (healthchecks' /start ping); <see cref="Kind"/> is then ignored.</summary>
    public bool Started { get; init; }

    /// <summary>The job's name.</summary>
    public required string Job { get; init; }

    /// <summary>The config's instance, if it names one.</summary>
    public string? Instance { get; init; }

    /// <summary>The environment (dev/test/prod), if any.</summary>
    public string? Environment { get; init; }

    /// <summary>When it happened.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The component that failed, if one did.</summary>
    public string? Component { get; init; }

    /// <summary>The underlying error, in one line.</summary>
    public string? Error { get; init; }

    /// <summary>One line on what to do about it.</summary>
    public string? Hint { get; init; }

    /// <summary>The snapshot the run wrote, if any (short id).</summary>
    public string? SnapshotId { get; init; }

    /// <summary>How long the run took.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Bytes read from the sources.</summary>
    public long BytesRead { get; init; }

    /// <summary>Bytes added to the repository.</summary>
    public long BytesAdded { get; init; }

    /// <summary>Files (or items) backed up.</summary>
    public long Files { get; init; }

    /// <summary>For <see cref="NotificationEvent.Stale"/>: when the job last succeeded (null: never).</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>The last lines of the run's log (healthchecks' failure body, the email's end).</summary>
    public IReadOnlyList<string> LogTail { get; init; } = [];
}
