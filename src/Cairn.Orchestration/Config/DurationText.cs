using System.Globalization;
using System.Text.RegularExpressions;

namespace Cairn.Orchestration.Config;

/// <summary>Durations as users write them on the command line and in the config: "90s", "5m", "1h30m", "2d" (a bare number is seconds).</summary>
public static partial class DurationText
{
    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h|d)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    /// <summary>Parses <paramref name="text"/>; false when it is not a duration.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        var trimmed = text.Trim();
        duration = TimeSpan.Zero;
        if (double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        int position = 0;
        foreach (Match m in Part().Matches(trimmed))
        {
            if (m.Index != position) break;
            position += m.Length;
            var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            duration += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => TimeSpan.FromDays(value),
            };
        }
        return position > 0 && position == trimmed.Length;
    }
}
