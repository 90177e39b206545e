using System.Globalization;

namespace Cairn.Orchestration.Deploy;

/// <summary>
/// A cron expression as the daemon reads it (Cronos: 5 fields, or 6 with seconds first; names, lists, ranges that may
/// wrap around, steps, '?', the @daily-style macros, L and L-n in the day of month, n#k and nL in the day of week),
/// parsed into the set of values each field matches, so it can be written out for another scheduler. As with Cronos,
/// a day must match both the day-of-month and the day-of-week field.
/// </summary>
public sealed class CronFields
{
    private static readonly string[] s_months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] s_weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private CronFields(string text) => Text = text;

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>It has a seconds field (6 fields).</summary>
    public bool HasSeconds { get; private set; }

    /// <summary>Seconds 0–59 (just 0 without a seconds field).</summary>
    public IReadOnlyList<int> Seconds { get; private set; } = [0];

    /// <summary>Minutes 0–59.</summary>
    public IReadOnlyList<int> Minutes { get; private set; } = [];

    /// <summary>Hours 0–23.</summary>
    public IReadOnlyList<int> Hours { get; private set; } = [];

    /// <summary>Days of the month 1–31 (all of them when <see cref="FromMonthEnd"/> is set).</summary>
    public IReadOnlyList<int> Days { get; private set; } = [];

    /// <summary>Months 1–12.</summary>
    public IReadOnlyList<int> Months { get; private set; } = [];

    /// <summary>Days of the week, 0 (Sunday) – 6.</summary>
    public IReadOnlyList<int> Weekdays { get; private set; } = [];

    /// <summary>L (0) or L-n (n): the day n days before the month's last; null when days are given as numbers.</summary>
    public int? FromMonthEnd { get; private set; }

    /// <summary>n#k: only the k-th (1–5) of the weekday in a month; null otherwise.</summary>
    public int? NthWeekday { get; private set; }

    /// <summary>nL: only the last of the weekday in a month.</summary>
    public bool LastWeekday { get; private set; }

    /// <summary>The day-of-month field was '*' or '?'.</summary>
    public bool AnyDay { get; private set; }

    /// <summary>The day-of-week field was '*' or '?'.</summary>
    public bool AnyWeekday { get; private set; }

    /// <summary>Parses an expression; anything else is a <see cref="CairnException"/> (exit 2) saying what is wrong.</summary>
    public static CronFields Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var expanded = text.Trim().ToLowerInvariant() switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            "@every_minute" => "* * * * *",
            "@every_second" => "* * * * * *",
            var other when other.StartsWith('@') => throw Problem(text, $"'{text.Trim()}' is not a macro cron knows (@yearly, @monthly, @weekly, @daily, @hourly)"),
            _ => text,
        };
        var fields = expanded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is not (5 or 6))
            throw Problem(text, $"it has {fields.Length} fields; a cron expression has 5 (minute hour day month weekday) or 6 (seconds first)");
        var cron = new CronFields(text) { HasSeconds = fields.Length == 6 };
        int i = 0;
        if (cron.HasSeconds) cron.Seconds = Field(text, fields[i++], "second", 0, 59, null);
        cron.Minutes = Field(text, fields[i++], "minute", 0, 59, null);
        cron.Hours = Field(text, fields[i++], "hour", 0, 23, null);
        cron.ParseDays(fields[i++]);
        cron.Months = Field(text, fields[i++], "month", 1, 12, s_months);
        cron.ParseWeekdays(fields[i]);
        return cron;
    }

    private void ParseDays(string field)
    {
        AnyDay = field is "*" or "?";
        var upper = field.ToUpperInvariant();
        if (upper == "L" || upper.StartsWith("L-", StringComparison.Ordinal))
        {
            int back = upper == "L" ? 0 : Number(Text, upper[2..], "day of month");
            if (back is < 0 or > 30) throw Problem(Text, $"'{field}': L-n needs n between 0 and 30");
            FromMonthEnd = back;
            Days = [.. Enumerable.Range(1, 31)];
            return;
        }
        if (upper.Contains('W', StringComparison.Ordinal) || upper.Contains('L', StringComparison.Ordinal))
            throw Problem(Text, $"'{field}': the nearest-weekday form (W), and L inside a list, have no equivalent outside cron");
        Days = Field(Text, field, "day of month", 1, 31, null);
    }

    private void ParseWeekdays(string field)
    {
        AnyWeekday = field is "*" or "?";
        var upper = field.ToUpperInvariant();
        int hash = upper.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0 || (upper.EndsWith('L') && upper.Length > 1))
        {
            if (upper.Contains(',', StringComparison.Ordinal) || upper.Contains('-', StringComparison.Ordinal))
                throw Problem(Text, $"'{field}': n#k and nL stand alone in the day-of-week field");
            if (!AnyDay || FromMonthEnd is not null)
                throw Problem(Text, $"'{field}': n#k and nL need '*' in the day-of-month field");
            var day = hash >= 0 ? upper[..hash] : upper[..^1];
            Weekdays = [WeekdayValue(day)];
            if (hash >= 0)
            {
                int k = Number(Text, upper[(hash + 1)..], "day of week");
                if (k is < 1 or > 5) throw Problem(Text, $"'{field}': n#k needs k between 1 and 5");
                NthWeekday = k;
            }
            else LastWeekday = true;
            return;
        }
        Weekdays = [.. Field(Text, field, "day of week", 0, 7, s_weekdays).Select(d => d % 7).Distinct().Order()];
    }

    private int WeekdayValue(string text)
    {
        int index = Array.IndexOf(s_weekdays, text);
        int value = index >= 0 ? index : Number(Text, text, "day of week");
        return value is >= 0 and <= 7 ? value % 7 : throw Problem(Text, $"'{text}' is not a day of the week (0–7 or SUN–SAT)");
    }

    // One field: a comma list of *, ?, N, A-B (wrapping around when A > B), each optionally /STEP.
    private static int[] Field(string text, string field, string what, int min, int max, string[]? names)
    {
        var values = new SortedSet<int>();
        foreach (var item in field.Split(','))
        {
            if (item.Length == 0) throw Problem(text, $"the {what} field '{field}' has an empty list item");
            var (range, stepText) = item.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? (item[..slash], item[(slash + 1)..]) : (item, null);
            int step = stepText is null ? 1 : Number(text, stepText, what);
            if (step < 1 || step > max - min + 1) throw Problem(text, $"the {what} field '{field}' has a step of {stepText}, which must be 1 to {max - min + 1}");
            int from, to;
            if (range is "*" or "?")
            {
                if (range == "?" && what is not ("day of month" or "day of week")) throw Problem(text, $"'?' is only for the day fields, not the {what}");
                (from, to) = (min, max);
            }
            else if (range.IndexOf('-', StringComparison.Ordinal) is var dash and > 0)
            {
                (from, to) = (Value(text, range[..dash], what, min, max, names), Value(text, range[(dash + 1)..], what, min, max, names));
            }
            else
            {
                from = Value(text, range, what, min, max, names);
                // "A/STEP" runs from A to the end of the field, as in cron.
                to = stepText is null ? from : max;
            }
            if (from <= to)
            {
                for (int v = from; v <= to; v += step) values.Add(v);
            }
            else if (step == 1)
            {
                for (int v = from; v <= max; v++) values.Add(v);
                for (int v = min; v <= to; v++) values.Add(v);
            }
            else throw Problem(text, $"the {what} range '{item}' wraps around and has a step; write it as two ranges");
        }
        return [.. values];
    }

    private static int Value(string text, string token, string what, int min, int max, string[]? names)
    {
        if (names is not null && Array.IndexOf(names, token.ToUpperInvariant()) is var index and >= 0) return index + (what == "month" ? 1 : 0);
        int value = Number(text, token, what);
        return value >= min && value <= max ? value : throw Problem(text, $"{value} is not a valid {what} ({min}–{max})");
    }

    private static int Number(string text, string token, string what) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n
            : throw Problem(text, $"'{token}' is not a number or name for the {what}");

    /// <summary>
    /// The step of <paramref name="values"/> when they are START, START+STEP, … up to the last one before
    /// <paramref name="max"/> (what cron's and systemd's A/STEP mean), else null.
    /// </summary>
    internal static int? Progression(IReadOnlyList<int> values, int max)
    {
        if (values.Count < 2) return null;
        int step = values[1] - values[0];
        if (step <= 1 || values[^1] + step <= max) return null;
        for (int i = 2; i < values.Count; i++)
            if (values[i] - values[i - 1] != step) return null;
        return step;
    }

    /// <summary>Sorted values as runs of consecutive ones.</summary>
    internal static IEnumerable<(int From, int To)> Runs(IReadOnlyList<int> sorted)
    {
        int i = 0;
        while (i < sorted.Count)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            yield return (sorted[i], sorted[j]);
            i = j + 1;
        }
    }

    private static CairnException Problem(string text, string problem) => new($"schedule '{text.Trim()}': {problem}", ExitCode.Usage);
}
