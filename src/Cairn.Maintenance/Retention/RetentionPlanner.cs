using System.Globalization;
using Cairn.Snapshots;

namespace Cairn.Maintenance.Retention;

/// <summary>The calendar periods that count rules keep one snapshot of.</summary>
public enum RetentionPeriod
{
    /// <summary>A wall-clock hour.</summary>
    Hour,
    /// <summary>A calendar day.</summary>
    Day,
    /// <summary>An ISO week (Monday to Sunday).</summary>
    Week,
    /// <summary>A calendar month.</summary>
    Month,
    /// <summary>A calendar year.</summary>
    Year,
}

/// <summary>
/// Applies a <see cref="RetentionPolicy"/>: a pure function of the snapshots, the policy, the current time and a
/// time zone, with restic's semantics plus three safety rules for failed and partial snapshots.
/// </summary>
/// <remarks>
/// Per group, snapshots are visited newest first (equal times by id). As in restic:
/// <list type="bullet">
/// <item>A count rule (last, hourly … yearly) keeps a snapshot when it is the first one seen of its period, until n
/// periods are kept; periods with no snapshot use up nothing. If the oldest snapshot is reached while a count rule
/// still has periods left, that oldest snapshot is kept too (restic 0.16+), so a young repository keeps its history.</item>
/// <item>Within rules count back from the group's newest snapshot that is not in the future (not from now), so a
/// host that stopped backing up keeps its last window of snapshots; <c>now</c> only decides what "the future" is.</item>
/// <item>Periods are wall-clock hours, days, ISO weeks (year*100+week), months and years in <c>timeZone</c>. Unlike
/// restic, which uses each snapshot's recorded offset, every snapshot is first converted to that one zone, so
/// snapshots recorded with different offsets fall into the same days as the operator's calendar. In the hour repeated
/// when daylight saving time ends, both real hours share one hourly period (the clock shows the same hour).</item>
/// </list>
/// Failed and partial snapshots:
/// <list type="bullet">
/// <item>They never count: the count, within-period and keep-min rules skip them, so they use up no period.</item>
/// <item>Those newer than the group's newest complete snapshot are kept (they may hold the only copy of recent data);
/// older ones are removed unless --keep-within or --keep-tag keeps them. A group with no complete snapshot keeps
/// all of them.</item>
/// <item>The group's newest complete snapshot is always kept, even if no rule keeps it.</item>
/// </list>
/// </remarks>
public static class RetentionPlanner
{
    /// <summary>Decides, for each snapshot, whether <paramref name="policy"/> keeps it and why.</summary>
    /// <param name="snapshots">The snapshots to consider (already filtered by host, tag, path).</param>
    /// <param name="policy">A non-empty, valid policy.</param>
    /// <param name="now">The current time: snapshots after it are "in the future" and do not anchor within rules.</param>
    /// <param name="timeZone">The zone whose wall clock defines hours, days, weeks, months and years.</param>
    /// <exception cref="ArgumentException">The policy is empty (it would remove everything) or malformed.</exception>
    public static RetentionPlan Plan(IEnumerable<Snapshot> snapshots, RetentionPolicy policy, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(timeZone);
        policy.Validate();
        if (policy.IsEmpty) throw new ArgumentException("the retention policy has no rule: it would remove every snapshot", nameof(policy));
        var groups = snapshots
            .GroupBy(s => SnapshotGroupings.KeyOf(s, policy.GroupBy))
            .OrderBy(g => g.Key.SortKey, StringComparer.Ordinal)
            .Select(g => new RetentionGroup(g.Key, PlanGroup([.. g.OrderByDescending(s => s.Time).ThenByDescending(s => s.Id)], policy, now, timeZone)))
            .ToList();
        return new RetentionPlan(groups);
    }

    private sealed class CountRule(RetentionRule rule, string name, RetentionPeriod? period, int count)
    {
        public RetentionRule Rule { get; } = rule;
        public string Name { get; } = name;
        public RetentionPeriod? Period { get; } = period;
        public int Left { get; set; } = count;
        public long LastKey { get; set; } = long.MinValue;
    }

    private sealed class WithinRule(RetentionRule rule, string name, RetentionPeriod period, RetentionDuration span)
    {
        public RetentionRule Rule { get; } = rule;
        public string Name { get; } = name;
        public RetentionPeriod Period { get; } = period;
        public RetentionDuration Span { get; } = span;
        public DateTimeOffset Cutoff { get; set; }
        public long LastKey { get; set; } = long.MinValue;
    }

    private static List<RetentionDecision> PlanGroup(List<Snapshot> newestFirst, RetentionPolicy policy, DateTimeOffset now, TimeZoneInfo zone)
    {
        var counts = new CountRule[]
        {
            new(RetentionRule.Last, "last", null, policy.Last),
            new(RetentionRule.Hourly, "hourly", RetentionPeriod.Hour, policy.Hourly),
            new(RetentionRule.Daily, "daily", RetentionPeriod.Day, policy.Daily),
            new(RetentionRule.Weekly, "weekly", RetentionPeriod.Week, policy.Weekly),
            new(RetentionRule.Monthly, "monthly", RetentionPeriod.Month, policy.Monthly),
            new(RetentionRule.Yearly, "yearly", RetentionPeriod.Year, policy.Yearly),
        };
        var withins = new WithinRule[]
        {
            new(RetentionRule.WithinHourly, "hourly", RetentionPeriod.Hour, policy.WithinHourly),
            new(RetentionRule.WithinDaily, "daily", RetentionPeriod.Day, policy.WithinDaily),
            new(RetentionRule.WithinWeekly, "weekly", RetentionPeriod.Week, policy.WithinWeekly),
            new(RetentionRule.WithinMonthly, "monthly", RetentionPeriod.Month, policy.WithinMonthly),
            new(RetentionRule.WithinYearly, "yearly", RetentionPeriod.Year, policy.WithinYearly),
        };
        // Spans count back in the zone's offset at the anchor, as restic counts in the newest snapshot's offset.
        var anchor = TimeZoneInfo.ConvertTime(newestFirst.Find(s => s.Time <= now)?.Time ?? now, zone);
        var withinCutoff = policy.Within.SubtractFrom(anchor);
        foreach (var rule in withins) rule.Cutoff = rule.Span.SubtractFrom(anchor);
        int oldestComplete = newestFirst.FindLastIndex(s => s.Status == SnapshotStatus.Complete);
        int newestComplete = newestFirst.FindIndex(s => s.Status == SnapshotStatus.Complete);

        var decisions = new List<RetentionDecision>(newestFirst.Count);
        int completeSeen = 0;
        for (int index = 0; index < newestFirst.Count; index++)
        {
            var snapshot = newestFirst[index];
            var reasons = new List<RetentionReason>();
            foreach (var tags in policy.KeepTags)
                if (tags.All(t => snapshot.Tags.Contains(t, StringComparer.Ordinal)))
                    reasons.Add(new(RetentionRule.Tag, "has tags " + string.Join(",", tags)));
            if (!policy.Within.IsZero && snapshot.Time > withinCutoff)
                reasons.Add(new(RetentionRule.Within, $"within {policy.Within} of the newest snapshot"));

            if (snapshot.Status == SnapshotStatus.Complete)
            {
                var local = TimeZoneInfo.ConvertTime(snapshot.Time, zone).DateTime;
                foreach (var rule in counts)
                {
                    if (rule.Left == 0) continue;
                    long key = rule.Period is { } p ? KeyOf(p, local) : completeSeen;
                    bool newPeriod = key != rule.LastKey;
                    if (!newPeriod && index != oldestComplete) continue;
                    rule.LastKey = key;
                    if (rule.Left > 0) rule.Left--;
                    reasons.Add(new(rule.Rule, Describe(rule.Name, rule.Period, local, oldest: !newPeriod)));
                }
                foreach (var rule in withins)
                {
                    if (rule.Span.IsZero || snapshot.Time <= rule.Cutoff) continue;
                    long key = KeyOf(rule.Period, local);
                    if (key == rule.LastKey) continue;
                    rule.LastKey = key;
                    reasons.Add(new(rule.Rule, $"{Describe(rule.Name, rule.Period, local, oldest: false)} within {rule.Span}"));
                }
                if (completeSeen < policy.KeepMin)
                    reasons.Add(new(RetentionRule.Min, string.Create(CultureInfo.InvariantCulture, $"one of the newest {policy.KeepMin} complete snapshots (keep-min)")));
                completeSeen++;
            }
            else if (completeSeen == 0)
            {
                reasons.Add(new(RetentionRule.NewerThanComplete, newestComplete < 0
                    ? $"{StatusName(snapshot)}, kept: the group has no complete snapshot"
                    : $"{StatusName(snapshot)}, kept: newer than the group's newest complete snapshot"));
            }

            if (reasons.Count == 0 && index == newestComplete)
                reasons.Add(new(RetentionRule.LastComplete, "the group's newest complete snapshot: a policy never removes it"));
            decisions.Add(reasons.Count > 0
                ? new RetentionDecision(snapshot, true, reasons)
                : new RetentionDecision(snapshot, false, [snapshot.Status == SnapshotStatus.Complete
                    ? new(RetentionRule.NoRule, "no rule keeps it")
                    : new(RetentionRule.Incomplete, $"{StatusName(snapshot)}: not counted by the policy, and a newer complete snapshot exists")]));
        }
        return decisions;
    }

    private static string StatusName(Snapshot snapshot) => snapshot.Status.ToString().ToLowerInvariant();

    /// <summary>
    /// A number unique to the calendar period of <paramref name="period"/>'s kind that contains <paramref name="time"/> on
    /// <paramref name="timeZone"/>'s wall clock, increasing with time: the same key <see cref="Plan"/> groups by.
    /// </summary>
    public static long PeriodKey(RetentionPeriod period, DateTimeOffset time, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        return KeyOf(period, TimeZoneInfo.ConvertTime(time, timeZone).DateTime);
    }

    /// <summary>A number unique to the period that contains <paramref name="local"/>, as restic computes it.</summary>
    private static long KeyOf(RetentionPeriod period, DateTime local) => period switch
    {
        RetentionPeriod.Hour => local.Year * 1_000_000L + local.Month * 10_000 + local.Day * 100 + local.Hour,
        RetentionPeriod.Day => local.Year * 10_000L + local.Month * 100 + local.Day,
        RetentionPeriod.Week => ISOWeek.GetYear(local) * 100L + ISOWeek.GetWeekOfYear(local),
        RetentionPeriod.Month => local.Year * 100L + local.Month,
        _ => local.Year,
    };

    private static string Describe(string name, RetentionPeriod? period, DateTime local, bool oldest)
    {
        var label = period switch
        {
            null => null,
            RetentionPeriod.Hour => local.ToString("yyyy-MM-dd HH':00'", CultureInfo.InvariantCulture),
            RetentionPeriod.Day => local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            RetentionPeriod.Week => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(local)}-W{ISOWeek.GetWeekOfYear(local):00}"),
            RetentionPeriod.Month => local.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            _ => local.ToString("yyyy", CultureInfo.InvariantCulture),
        };
        var text = (oldest ? "oldest " : "") + name + " snapshot";
        return label is null ? text : $"{text} ({label})";
    }
}
