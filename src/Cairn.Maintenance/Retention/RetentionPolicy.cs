using System.Globalization;

namespace Cairn.Maintenance.Retention;

/// <summary>
/// Which snapshots to keep, as restic's forget options say it: counts per calendar period, time windows, tags, plus
/// a floor (<see cref="KeepMin"/>) and the grouping the rules apply within. Interpreted by <see cref="RetentionPlanner"/>.
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>A count that keeps one snapshot of every period, however many there are (restic's "unlimited").</summary>
    public const int Unlimited = -1;

    /// <summary>Keep the newest n complete snapshots.</summary>
    public int Last { get; init; }

    /// <summary>Keep the newest complete snapshot of each of the last n hours that have one.</summary>
    public int Hourly { get; init; }

    /// <summary>Keep the newest complete snapshot of each of the last n days that have one.</summary>
    public int Daily { get; init; }

    /// <summary>Keep the newest complete snapshot of each of the last n ISO weeks that have one.</summary>
    public int Weekly { get; init; }

    /// <summary>Keep the newest complete snapshot of each of the last n months that have one.</summary>
    public int Monthly { get; init; }

    /// <summary>Keep the newest complete snapshot of each of the last n years that have one.</summary>
    public int Yearly { get; init; }

    /// <summary>Keep every snapshot (of any status) newer than this span before the group's newest snapshot.</summary>
    public RetentionDuration Within { get; init; }

    /// <summary>Keep one complete snapshot per hour within this span of the newest snapshot.</summary>
    public RetentionDuration WithinHourly { get; init; }

    /// <summary>Keep one complete snapshot per day within this span of the newest snapshot.</summary>
    public RetentionDuration WithinDaily { get; init; }

    /// <summary>Keep one complete snapshot per ISO week within this span of the newest snapshot.</summary>
    public RetentionDuration WithinWeekly { get; init; }

    /// <summary>Keep one complete snapshot per month within this span of the newest snapshot.</summary>
    public RetentionDuration WithinMonthly { get; init; }

    /// <summary>Keep one complete snapshot per year within this span of the newest snapshot.</summary>
    public RetentionDuration WithinYearly { get; init; }

    /// <summary>Keep every snapshot (of any status) that has all tags of at least one of these lists.</summary>
    public IReadOnlyList<IReadOnlyList<string>> KeepTags { get; init; } = [];

    /// <summary>Never remove the newest n complete snapshots of a group, whatever the other rules say. Not a rule by itself.</summary>
    public int KeepMin { get; init; }

    /// <summary>The fields that split snapshots into groups; each group gets the policy on its own.</summary>
    public SnapshotGrouping GroupBy { get; init; } = SnapshotGroupings.Default;

    /// <summary>True if no rule says to keep anything: applying such a policy would remove every snapshot, so it is refused.</summary>
    public bool IsEmpty =>
        Last == 0 && Hourly == 0 && Daily == 0 && Weekly == 0 && Monthly == 0 && Yearly == 0 &&
        Within.IsZero && WithinHourly.IsZero && WithinDaily.IsZero && WithinWeekly.IsZero && WithinMonthly.IsZero && WithinYearly.IsZero &&
        KeepTags.Count == 0;

    /// <summary>Throws if a count is below <see cref="Unlimited"/>, <see cref="KeepMin"/> is negative or a tag list is empty.</summary>
    /// <exception cref="ArgumentException">The policy is malformed.</exception>
    public void Validate()
    {
        foreach (var (name, _, count) in Counts())
            if (count < Unlimited) throw new ArgumentException($"keep-{name} must be a count of zero or more, or unlimited (got {count})");
        if (KeepMin < 0) throw new ArgumentException($"keep-min must be zero or more (got {KeepMin})");
        if (KeepTags.Any(list => list.Count == 0)) throw new ArgumentException("keep-tag needs at least one tag");
    }

    /// <summary>For people, e.g. "keep 7 daily, 4 weekly snapshots, all snapshots within 1y of the newest".</summary>
    public override string ToString()
    {
        var counts = Counts().Where(c => c.Count != 0)
            .Select(c => c.Count == Unlimited ? "all " + c.Shown : string.Create(CultureInfo.InvariantCulture, $"{c.Count} {c.Shown}")).ToList();
        var parts = new List<string>();
        if (counts.Count > 0) parts.Add(string.Join(", ", counts) + " snapshots");
        foreach (var (name, span) in WithinSpans())
            if (!span.IsZero) parts.Add($"{name} snapshots within {span}");
        if (!Within.IsZero) parts.Add($"all snapshots within {Within} of the newest");
        foreach (var tags in KeepTags) parts.Add($"all snapshots with tags {string.Join(",", tags)}");
        if (KeepMin > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"at least the newest {KeepMin} complete snapshots"));
        return "keep " + (parts.Count == 0 ? "nothing" : string.Join(", ", parts));
    }

    private IEnumerable<(string Name, string Shown, int Count)> Counts() =>
    [
        ("last", "latest", Last), ("hourly", "hourly", Hourly), ("daily", "daily", Daily), ("weekly", "weekly", Weekly),
        ("monthly", "monthly", Monthly), ("yearly", "yearly", Yearly),
    ];

    private IEnumerable<(string Name, RetentionDuration Span)> WithinSpans() =>
        [("hourly", WithinHourly), ("daily", WithinDaily), ("weekly", WithinWeekly), ("monthly", WithinMonthly), ("yearly", WithinYearly)];
}
