using System.Diagnostics;
using System.Globalization;
using Cairn.Orchestration.Deploy;
using Cronos;

namespace Cairn.Tests.Deploy;

/// <summary>
/// The cron → OnCalendar converter: for a table of expressions, systemd's own calendar arithmetic
/// (systemd-analyze calendar) must give the same next runs as Cronos, which the daemon uses.
/// </summary>
public sealed class SystemdCalendarTests
{
    private const string SystemdAnalyze = "/usr/bin/systemd-analyze";

    public static TheoryData<string, string?, string> Expressions => new()
    {
        { "0 2 * * *", null, "*-*-* 02:00:00 UTC" },
        { "*/15 9-17 * * MON-FRI", "Europe/Berlin", "Mon..Fri *-*-* 09..17:00/15:00 Europe/Berlin" },
        { "30 4 1,15 * *", "America/New_York", "*-*-01,15 04:30:00 America/New_York" },
        { "0 0 L * *", null, "*-*~01 00:00:00 UTC" },
        { "0 6 L-2 * *", null, "*-*~03 06:00:00 UTC" },
        { "0 12 * * 5#3", "Europe/Berlin", "Fri *-*-15..21 12:00:00 Europe/Berlin" },
        { "0 23 * * 0L", null, "Sun *-*~07/1 23:00:00 UTC" },
        { "@yearly", null, "*-01-01 00:00:00 UTC" },
        { "@weekly", "Asia/Tokyo", "Sun *-*-* 00:00:00 Asia/Tokyo" },
        { "5,10-12,40/7 1-3 * JAN-MAR,oct *", null, "*-01..03,10-* 01..03:05,10..12,40,47,54:00 UTC" },
        { "0 22-2 * * *", null, "*-*-* 00..02,22,23:00:00 UTC" },
        { "0 0 * * 5-1", null, "Mon,Fri..Sun *-*-* 00:00:00 UTC" },
        { "0 0 */2 * *", null, "*-*-01/2 00:00:00 UTC" },
        { "15 30 6 * * *", null, "*-*-* 06:30:15 UTC" },
        { "*/20 * * * * *", null, "*-*-* *:*:00/20 UTC" },
        { "0 9 1 * 5", null, "Fri *-*-01 09:00:00 UTC" },
        { "0 0 29 2 *", null, "*-02-29 00:00:00 UTC" },
        { "0 0 * * 7", null, "Sun *-*-* 00:00:00 UTC" },
        { "0 3 * * 1,3,5", "Australia/Sydney", "Mon,Wed,Fri *-*-* 03:00:00 Australia/Sydney" },
        { "1-4 0 ? * *", null, "*-*-* 00:01..04:00 UTC" },
        { "30 2 * * *", "Europe/Berlin", "*-*-* 02:30:00 Europe/Berlin" },
    };

    [Theory]
    [MemberData(nameof(Expressions))]
    public void Cron_converts_to_the_expected_calendar_event(string cron, string? zone, string expected) =>
        Assert.Equal(expected, SystemdCalendar.FromCron(CronFields.Parse(cron), zone));

    [Theory]
    [MemberData(nameof(Expressions))]
    public void Systemd_computes_the_same_next_runs_as_Cronos(string cron, string? zone, string expected)
    {
        _ = expected;
        Assert.True(File.Exists(SystemdAnalyze), $"{SystemdAnalyze} is missing: install the systemd package (the test script does)");
        var calendar = SystemdCalendar.FromCron(CronFields.Parse(cron), zone);
        var timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone ?? "UTC");
        var expression = CronExpression.Parse(cron, CronFields.Parse(cron).HasSeconds ? CronFormat.IncludeSeconds : CronFormat.Standard);
        // An ordinary day, and just before Europe's spring-forward and fall-back nights (30 March and 26 October 2025).
        foreach (var start in new[] { new DateTime(2025, 1, 7, 13, 14, 15, DateTimeKind.Utc), new DateTime(2025, 3, 29, 12, 0, 1, DateTimeKind.Utc), new DateTime(2025, 10, 25, 12, 0, 1, DateTimeKind.Utc) })
        {
            const int count = 10;
            var fromSystemd = NextRuns(calendar, start, count);
            var fromCronos = new List<DateTime>();
            var t = start;
            var fields = CronFields.Parse(cron);
            int shifted = 0;
            while (fromCronos.Count < count && expression.GetNextOccurrence(t, timeZone) is { } next)
            {
                t = next;
                // The one known difference: a time that a spring-forward night skips runs at the end of the gap under
                // Cronos (so the daemon), while systemd skips that day. README's Deployment section says so.
                var local = TimeZoneInfo.ConvertTimeFromUtc(next, timeZone);
                if (!fields.Hours.Contains(local.Hour) || !fields.Minutes.Contains(local.Minute)) shifted++;
                else fromCronos.Add(next);
            }
            Assert.Equal(cron == "30 2 * * *" && start.Month == 3 ? 1 : 0, shifted);
            Assert.True(fromCronos.SequenceEqual(fromSystemd),
                $"{cron} ({zone ?? "UTC"}) as '{calendar}' from {start:u}:\nCronos:  {string.Join(", ", fromCronos.Select(d => d.ToString("u")))}\nsystemd: {string.Join(", ", fromSystemd.Select(d => d.ToString("u")))}");
        }
    }

    private static List<DateTime> NextRuns(string calendar, DateTime start, int count)
    {
        var info = new ProcessStartInfo(SystemdAnalyze) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("calendar");
        info.ArgumentList.Add($"--iterations={count}");
        info.ArgumentList.Add($"--base-time=@{new DateTimeOffset(start).ToUnixTimeSeconds()}");
        info.ArgumentList.Add(calendar);
        info.Environment["TZ"] = "UTC";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"systemd-analyze calendar '{calendar}' failed: {error}");
        // "    Next elapse: Wed 2025-01-08 02:00:00 UTC" then "       Iter. #2: …", each shown in UTC since TZ=UTC.
        return [.. output.Split('\n')
            .Where(l => l.TrimStart().StartsWith("Next elapse:", StringComparison.Ordinal) || l.TrimStart().StartsWith("Iter. #", StringComparison.Ordinal))
            .Select(l => DateTime.ParseExact(l[(l.IndexOf(':', StringComparison.Ordinal) + 2)..].Trim(), "ddd yyyy-MM-dd HH:mm:ss 'UTC'",
                CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal))];
    }

    [Theory]
    [InlineData("0 0 15W * *", "nearest-weekday")]
    [InlineData("0 0 LW * *", "nearest-weekday")]
    [InlineData("0 0 * * 5#3,1#1", "stand alone")]
    [InlineData("0 0 1 * 5#2", "need '*' in the day-of-month")]
    [InlineData("0 0 * * * * *", "it has 7 fields")]
    [InlineData("@reboot", "not a macro")]
    [InlineData("61 * * * *", "61 is not a valid minute")]
    [InlineData("0 22-2/2 * * *", "wraps around and has a step")]
    [InlineData("0 0 * * FUNDAY", "'FUNDAY' is not a number or name")]
    [InlineData("*/0 * * * *", "step of 0")]
    [InlineData("0 ? * * *", "'?' is only for the day fields")]
    public void What_systemd_cannot_express_or_cron_does_not_mean_is_refused_in_one_line(string cron, string reason)
    {
        var e = Assert.Throws<CairnException>(() => SystemdCalendar.FromCron(CronFields.Parse(cron), null));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains(reason, e.Message);
        Assert.StartsWith($"schedule '{cron}': ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_unknown_time_zone_is_refused() =>
        Assert.Contains("time zone 'Mars/Olympus'", Assert.Throws<CairnException>(() => SystemdCalendar.FromCron(CronFields.Parse("0 0 * * *"), "Mars/Olympus")).Message);
}
