using Cronos;

namespace Cairn.Orchestration.Service;

/// <summary>
/// A job's (or a prune's) schedule: a cron expression of 5 fields (minute first) or 6 (seconds first), or a macro such as
/// <c>@daily</c>, read in an IANA time zone. Daylight-saving changes are handled as cron does: a time that does not exist
/// that day runs at the jump, and a time that happens twice runs once.
/// </summary>
public sealed class CronSchedule
{
    private readonly CronExpression _expression;

    private CronSchedule(string text, CronExpression expression, TimeZoneInfo zone)
    {
        Text = text;
        _expression = expression;
        Zone = zone;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>The zone the expression is read in.</summary>
    public TimeZoneInfo Zone { get; }

    /// <summary>Parses <paramref name="expression"/> in <paramref name="timeZone"/> (null: UTC); a bad one is a usage error.</summary>
    public static CronSchedule Parse(string expression, string? timeZone) =>
        TryParse(expression, timeZone, out var schedule, out var problem) ? schedule : throw new CairnException(problem, ExitCode.Usage);

    /// <summary>Why <paramref name="expression"/> or <paramref name="timeZone"/> cannot be used, or null when both can.</summary>
    public static string? Problem(string expression, string? timeZone) => TryParse(expression, timeZone, out _, out var problem) ? null : problem;

    private static bool TryParse(string expression, string? timeZone, out CronSchedule schedule, out string problem)
    {
        schedule = null!;
        problem = "";
        var trimmed = expression.Trim();
        int fields = trimmed.Split(' ', '\t').Count(f => f.Length > 0);
        if (!trimmed.StartsWith('@') && fields is not (5 or 6))
        {
            problem = $"'{expression}' is not a cron expression: it has {fields} fields, where 5 (minute hour day month weekday) or 6 (seconds first) are expected";
            return false;
        }
        CronExpression cron;
        try
        {
            cron = CronExpression.Parse(trimmed, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            problem = $"'{expression}' is not a valid cron expression: {e.Message}";
            return false;
        }
        TimeZoneInfo zone;
        if (string.IsNullOrEmpty(timeZone)) zone = TimeZoneInfo.Utc;
        else if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone!))
        {
            problem = $"'{timeZone}' is not a known IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)";
            return false;
        }
        schedule = new CronSchedule(expression, cron, zone);
        return true;
    }

    /// <summary>The first slot strictly after <paramref name="time"/>, or null when there is none (e.g. 30 February).</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset time) => _expression.GetNextOccurrence(time, Zone, inclusive: false);

    /// <summary>
    /// The latest slot at or before <paramref name="time"/> (within five years), or null. Cron can only be asked forwards,
    /// so this widens a window backwards until it holds a slot, then walks forwards through it: a few steps, whatever the
    /// schedule's density.
    /// </summary>
    public DateTimeOffset? LatestAtOrBefore(DateTimeOffset time)
    {
        for (var window = TimeSpan.FromSeconds(1); window <= TimeSpan.FromDays(5 * 366); window *= 2)
        {
            var slot = _expression.GetNextOccurrence(time - window, Zone, inclusive: true);
            if (slot is not { } first || first > time) continue;
            var latest = first;
            while (NextAfter(latest) is { } next && next <= time) latest = next;
            return latest;
        }
        return null;
    }
}
