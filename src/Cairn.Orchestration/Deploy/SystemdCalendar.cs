using System.Globalization;
using System.Text;

namespace Cairn.Orchestration.Deploy;

/// <summary>
/// Writes a cron schedule as a systemd calendar event (OnCalendar=, systemd.time(7)) that fires at the same times the
/// daemon would: "WEEKDAYS YEAR-MONTH-DAY HH:MM:SS ZONE". Lists become comma lists, runs become A..B, steps that
/// run to the end of a field become A/STEP, L becomes ~01 (the last day), n#k a weekday on a week's days and nL a
/// weekday on the month's last seven. Both scheduler and cron require the day-of-month and the day-of-week to match.
/// </summary>
public static class SystemdCalendar
{
    private static readonly string[] s_weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    /// <summary>
    /// The calendar event for <paramref name="cron"/> in <paramref name="timeZone"/> (an IANA name; null is UTC).
    /// An unknown time zone is a <see cref="CairnException"/> (exit 2).
    /// </summary>
    public static string FromCron(CronFields cron, string? timeZone)
    {
        ArgumentNullException.ThrowIfNull(cron);
        var zone = timeZone ?? "UTC";
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            throw new CairnException($"time zone '{zone}' is not known on this system (an IANA name such as Europe/Berlin is expected)", ExitCode.Usage);
        var text = new StringBuilder();
        if (cron.Weekdays.Count < 7) text.Append(Weekdays(cron.Weekdays)).Append(' ');
        text.Append("*-").Append(List(cron.Months, 1, 12)).Append('-');
        if (cron.FromMonthEnd is { } back)
        {
            // systemd's "~" counts from the month's end: ~01 is the last day, ~02 the one before.
            text.Length--;
            text.Append('~').Append(Two(back + 1));
        }
        else if (cron.NthWeekday is { } k) text.Append(Two((k - 1) * 7 + 1)).Append("..").Append(Two(Math.Min(k * 7, 31)));
        else if (cron.LastWeekday)
        {
            text.Length--;
            text.Append("~07/1");
        }
        else text.Append(List(cron.Days, 1, 31));
        text.Append(' ').Append(List(cron.Hours, 0, 23)).Append(':').Append(List(cron.Minutes, 0, 59)).Append(':').Append(List(cron.Seconds, 0, 59));
        return text.Append(' ').Append(zone).ToString();
    }

    // Weekdays Monday first (systemd's ranges do not wrap past Sunday), runs of three or more as Mon..Fri.
    private static string Weekdays(IReadOnlyList<int> days)
    {
        var ordered = days.Select(d => d == 0 ? 7 : d).Order().ToList();
        return string.Join(',', CronFields.Runs(ordered).Select(r => r.From == r.To ? Name(r.From)
            : r.To - r.From == 1 ? Name(r.From) + "," + Name(r.To) : Name(r.From) + ".." + Name(r.To)));

        static string Name(int day) => s_weekdayNames[day % 7];
    }

    // One numeric component: "*" for every value, "A/STEP" for a progression that runs to the field's end,
    // else a comma list with runs of three or more as A..B.
    private static string List(IReadOnlyList<int> values, int min, int max)
    {
        if (values.Count == max - min + 1) return "*";
        if (CronFields.Progression(values, max) is { } step) return Two(values[0]) + "/" + step.ToString(CultureInfo.InvariantCulture);
        return string.Join(',', CronFields.Runs(values).Select(r => r.From == r.To ? Two(r.From)
            : r.To - r.From == 1 ? Two(r.From) + "," + Two(r.To) : Two(r.From) + ".." + Two(r.To)));
    }

    private static string Two(int value) => value.ToString("00", CultureInfo.InvariantCulture);
}
