using System.Globalization;
using Cairn.Maintenance.Retention;
using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Retention;

/// <summary>One thing wrong with a retention or prune setting in the config: the key it is about (null: the setting as a whole) and why.</summary>
public sealed record SettingProblem(string? Key, string Message);

/// <summary>
/// Turns a job's <c>retention:</c> or <c>archive.retention:</c> (<see cref="RetentionDefinition"/>) into the
/// <see cref="RetentionPolicy"/> forget applies, and says what is wrong with one. The config loader reports the
/// problems with file:line:col; <see cref="ToPolicy"/> checks again, for configs built in code.
/// </summary>
public static class RetentionDefinitions
{
    /// <summary>The count keys, with their values; -1 is unlimited, as <see cref="RetentionPolicy.Unlimited"/>.</summary>
    private static IEnumerable<(string Key, int? Count)> Counts(RetentionDefinition d) =>
    [
        ("keep_last", d.KeepLast), ("keep_hourly", d.KeepHourly), ("keep_daily", d.KeepDaily), ("keep_weekly", d.KeepWeekly),
        ("keep_monthly", d.KeepMonthly), ("keep_yearly", d.KeepYearly),
    ];

    /// <summary>
    /// Everything wrong with <paramref name="definition"/>, in key order. An archive's retention (<paramref name="archive"/>)
    /// must also have a calendar rule (keep_hourly … keep_yearly) or keep_tags: those choose what is sent to it.
    /// </summary>
    public static IReadOnlyList<SettingProblem> Check(RetentionDefinition definition, bool archive)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var problems = new List<SettingProblem>();
        foreach (var (key, count) in Counts(definition))
            if (count < RetentionPolicy.Unlimited)
                problems.Add(new(key, string.Create(CultureInfo.InvariantCulture, $"{key} must be a count of zero or more, or -1 for unlimited (got {count})")));
        if (definition.KeepMin < 0)
            problems.Add(new("keep_min", string.Create(CultureInfo.InvariantCulture, $"keep_min must be zero or more (got {definition.KeepMin})")));
        if (definition.KeepWithin is { } within)
        {
            try
            {
                RetentionDuration.Parse(within);
            }
            catch (FormatException e)
            {
                problems.Add(new("keep_within", "keep_within: " + e.Message));
            }
        }
        if (definition.KeepTags.Any(string.IsNullOrWhiteSpace))
            problems.Add(new("keep_tags", "keep_tags: a tag cannot be empty"));
        if (problems.Count > 0) return problems;

        var policy = Build(definition);
        if (policy.IsEmpty)
        {
            problems.Add(new(null, definition.KeepMin > 0
                ? "keep_min only protects snapshots from the other rules: add a rule such as keep_daily: 7"
                : "a retention needs at least one rule (keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly, keep_within or keep_tags): without one it would forget every snapshot"));
        }
        else if (archive && CalendarRules(policy).All(r => r.Count == 0) && policy.KeepTags.Count == 0)
        {
            problems.Add(new(null, "an archive's retention needs keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly or keep_tags: " +
                "those choose which snapshots are sent to the archive (keep_last, keep_within and keep_min only say what it keeps)"));
        }
        return problems;
    }

    /// <summary>The policy <paramref name="definition"/> describes, grouped as forget groups by default (host and paths).</summary>
    /// <param name="definition">The config's retention.</param>
    /// <param name="where">Where it is, for the message, e.g. "jobs.nightly.retention".</param>
    /// <param name="archive">It is an archive's retention (see <see cref="Check"/>).</param>
    /// <exception cref="CairnException">Usage: the definition has a problem (each is listed).</exception>
    public static RetentionPolicy ToPolicy(RetentionDefinition definition, string where, bool archive = false)
    {
        var problems = Check(definition, archive);
        return problems.Count == 0 ? Build(definition)
            : throw new CairnException($"{where}: " + string.Join("; ", problems.Select(p => p.Message)), ExitCode.Usage);
    }

    /// <summary>The count rules of a calendar period with their counts (not keep_last, which counts snapshots).</summary>
    internal static IEnumerable<(RetentionPeriod Period, int Count)> CalendarRules(RetentionPolicy policy) =>
    [
        (RetentionPeriod.Hour, policy.Hourly), (RetentionPeriod.Day, policy.Daily), (RetentionPeriod.Week, policy.Weekly),
        (RetentionPeriod.Month, policy.Monthly), (RetentionPeriod.Year, policy.Yearly),
    ];

    private static RetentionPolicy Build(RetentionDefinition d) => new()
    {
        Last = d.KeepLast ?? 0,
        Hourly = d.KeepHourly ?? 0,
        Daily = d.KeepDaily ?? 0,
        Weekly = d.KeepWeekly ?? 0,
        Monthly = d.KeepMonthly ?? 0,
        Yearly = d.KeepYearly ?? 0,
        Within = d.KeepWithin is { } within ? RetentionDuration.Parse(within) : default,
        // keep_tags is one list: a snapshot with all of them is kept (as one --keep-tag a,b).
        KeepTags = d.KeepTags.Count > 0 ? [d.KeepTags] : [],
        KeepMin = d.KeepMin ?? 0,
        GroupBy = SnapshotGroupings.Default,
    };
}
