using Cairn.Snapshots;

namespace Cairn.Maintenance.Retention;

/// <summary>The rule behind a keep or remove decision.</summary>
public enum RetentionRule
{
    /// <summary>Kept: one of the newest n complete snapshots (--keep-last).</summary>
    Last,
    /// <summary>Kept: the newest complete snapshot of an hour (--keep-hourly).</summary>
    Hourly,
    /// <summary>Kept: the newest complete snapshot of a day (--keep-daily).</summary>
    Daily,
    /// <summary>Kept: the newest complete snapshot of an ISO week (--keep-weekly).</summary>
    Weekly,
    /// <summary>Kept: the newest complete snapshot of a month (--keep-monthly).</summary>
    Monthly,
    /// <summary>Kept: the newest complete snapshot of a year (--keep-yearly).</summary>
    Yearly,
    /// <summary>Kept: newer than the --keep-within span before the group's newest snapshot.</summary>
    Within,
    /// <summary>Kept: the newest complete snapshot of an hour within --keep-within-hourly.</summary>
    WithinHourly,
    /// <summary>Kept: the newest complete snapshot of a day within --keep-within-daily.</summary>
    WithinDaily,
    /// <summary>Kept: the newest complete snapshot of a week within --keep-within-weekly.</summary>
    WithinWeekly,
    /// <summary>Kept: the newest complete snapshot of a month within --keep-within-monthly.</summary>
    WithinMonthly,
    /// <summary>Kept: the newest complete snapshot of a year within --keep-within-yearly.</summary>
    WithinYearly,
    /// <summary>Kept: has every tag of a --keep-tag list.</summary>
    Tag,
    /// <summary>Kept: one of the newest n complete snapshots (--keep-min).</summary>
    Min,
    /// <summary>Kept: a failed or partial snapshot newer than the group's newest complete one, which may hold the only copy of recent data.</summary>
    NewerThanComplete,
    /// <summary>Kept: the group's newest complete snapshot, which no policy may remove.</summary>
    LastComplete,
    /// <summary>Removed: named explicitly (forget ID).</summary>
    Requested,
    /// <summary>Removed: a complete snapshot that no rule keeps.</summary>
    NoRule,
    /// <summary>Removed: a failed or partial snapshot that no time or tag rule keeps, with a newer complete snapshot in its group.</summary>
    Incomplete,
}

/// <summary>One reason for a decision: the rule and a description for people, e.g. "daily snapshot (2024-03-31)".</summary>
public sealed record RetentionReason(RetentionRule Rule, string Description)
{
    /// <summary>The rule's stable name for scripts, e.g. "daily", "within-hourly", "last-complete".</summary>
    public string RuleName => Rule switch
    {
        RetentionRule.WithinHourly => "within-hourly",
        RetentionRule.WithinDaily => "within-daily",
        RetentionRule.WithinWeekly => "within-weekly",
        RetentionRule.WithinMonthly => "within-monthly",
        RetentionRule.WithinYearly => "within-yearly",
        RetentionRule.NewerThanComplete => "newer-than-complete",
        RetentionRule.LastComplete => "last-complete",
        RetentionRule.NoRule => "no-rule",
        _ => Rule.ToString().ToLowerInvariant(),
    };
}

/// <summary>Whether one snapshot is kept or removed, and every reason for it.</summary>
public sealed record RetentionDecision(Snapshot Snapshot, bool Keep, IReadOnlyList<RetentionReason> Reasons);

/// <summary>The decisions for one group of snapshots, newest first.</summary>
public sealed record RetentionGroup(SnapshotGroupKey Key, IReadOnlyList<RetentionDecision> Decisions)
{
    /// <summary>The snapshots kept, newest first.</summary>
    public IEnumerable<Snapshot> Kept => Decisions.Where(d => d.Keep).Select(d => d.Snapshot);

    /// <summary>The snapshots removed, newest first.</summary>
    public IEnumerable<Snapshot> Removed => Decisions.Where(d => !d.Keep).Select(d => d.Snapshot);

    /// <summary>False if no snapshot of the group is complete (then its failed and partial snapshots are all kept).</summary>
    public bool HasComplete => Decisions.Any(d => d.Snapshot.Status == SnapshotStatus.Complete);
}

/// <summary>The outcome of a retention policy over a set of snapshots: one entry per group, ordered by group key.</summary>
public sealed record RetentionPlan(IReadOnlyList<RetentionGroup> Groups)
{
    /// <summary>Every snapshot to remove, over all groups.</summary>
    public IEnumerable<Snapshot> Removed => Groups.SelectMany(g => g.Removed);
}
