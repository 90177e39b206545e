using System.Globalization;
using System.Text;

namespace Cairn.Maintenance.Retention;

/// <summary>A calendar span in restic's syntax, e.g. "1y2m3d4h": years, months, days and hours, in any order.</summary>
public readonly record struct RetentionDuration(int Years, int Months, int Days, int Hours)
{
    /// <summary>True for the unset duration (no --keep-within rule).</summary>
    public bool IsZero => Years == 0 && Months == 0 && Days == 0 && Hours == 0;

    /// <summary>Parses "1y2m3d4h" (each unit at most once, at least one; y years, m months, d days, h hours).</summary>
    /// <exception cref="FormatException">The text is not such a duration; the message says what is wrong.</exception>
    public static RetentionDuration Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int years = 0, months = 0, days = 0, hours = 0;
        var seen = new HashSet<char>();
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
            if (i == start)
                throw new FormatException($"'{text}' is not a duration: expected a number at '{text[start..]}' (example: 1y2m3d4h)");
            if (!int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out int number))
                throw new FormatException($"'{text}' is not a duration: {text[start..i]} is too large");
            if (i == text.Length)
                throw new FormatException($"'{text}' is not a duration: {number} has no unit (y, m, d or h)");
            char unit = text[i++];
            if (unit is 'y' or 'm' or 'd' or 'h' && !seen.Add(unit))
                throw new FormatException($"'{text}' is not a duration: the unit '{unit}' appears twice");
            switch (unit)
            {
                case 'y': years = number; break;
                case 'm': months = number; break;
                case 'd': days = number; break;
                case 'h': hours = number; break;
                default: throw new FormatException($"'{text}' is not a duration: '{unit}' is not a unit (y, m, d or h)");
            }
        }
        var duration = new RetentionDuration(years, months, days, hours);
        return duration.IsZero
            ? throw new FormatException($"'{text}' is not a duration: it must be longer than zero (example: 7d)")
            : duration;
    }

    /// <summary>
    /// The instant this span before <paramref name="time"/>, counted in <paramref name="time"/>'s own offset, as restic
    /// does (so a day is always 24 hours). Month arithmetic clamps to the month's end: March 31 minus one month is
    /// the end of February.
    /// </summary>
    public DateTimeOffset SubtractFrom(DateTimeOffset time)
    {
        try
        {
            return time.AddYears(-Years).AddMonths(-Months).AddDays(-Days).AddHours(-Hours);
        }
        catch (ArgumentOutOfRangeException)
        {
            // "9999y" reaches before year 1: every snapshot is within it.
            return DateTimeOffset.MinValue;
        }
    }

    /// <summary>The canonical text, e.g. "1y2m3d4h" (units that are zero are left out).</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Years != 0) text.Append(CultureInfo.InvariantCulture, $"{Years}y");
        if (Months != 0) text.Append(CultureInfo.InvariantCulture, $"{Months}m");
        if (Days != 0) text.Append(CultureInfo.InvariantCulture, $"{Days}d");
        if (Hours != 0) text.Append(CultureInfo.InvariantCulture, $"{Hours}h");
        return text.Length == 0 ? "0h" : text.ToString();
    }
}
