using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Cli;

/// <summary>Durations on the command line, as restic writes them: "90s", "5m", "1h30m", "2d" (no unit means seconds).</summary>
internal static partial class Durations
{
    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h|d)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    public static TimeSpan Parse(string text, string optionName)
    {
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
            return TimeSpan.FromSeconds(seconds);
        var total = TimeSpan.Zero;
        int position = 0;
        foreach (Match m in Part().Matches(trimmed))
        {
            if (m.Index != position) break;
            position += m.Length;
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => TimeSpan.FromDays(value),
            };
        }
        if (position == 0 || position != trimmed.Length)
            throw new CairnException($"cannot parse {optionName} '{text}': use a duration such as 30s, 5m, 1h30m or 2d", ExitCode.Usage);
        return total;
    }
}
