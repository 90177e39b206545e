using Cairn.Orchestration.Config;

namespace Cairn.Cli;

/// <summary>Durations on the command line, as restic writes them: "90s", "5m", "1h30m", "2d" (no unit means seconds).</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string optionName) =>
        DurationText.TryParse(text, out var duration)
            ? duration
            : throw new CairnException($"cannot parse {optionName} '{text}': use a duration such as 30s, 5m, 1h30m or 2d", ExitCode.Usage);
}
