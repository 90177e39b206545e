using System.Globalization;
using Cairn.Maintenance.Retention;
using Cairn.Orchestration.Retention;
using Cairn.Snapshots;
using static Cairn.Tests.Maintenance.RetentionPlannerTests;

namespace Cairn.Tests.Retention;

/// <summary>The archive rule as a pure function: newest snapshots of closed periods, in the job's zone, that the archive lacks and would keep.</summary>
public sealed class ArchiveSelectionTests
{
    private static readonly TimeZoneInfo s_berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly RetentionPolicy s_monthly = new() { Monthly = 4 };

    private static List<Snapshot> Daily(string first, int days, string time = "10:00:00", SnapshotStatus status = SnapshotStatus.Complete)
    {
        var start = DateOnly.Parse(first, CultureInfo.InvariantCulture);
        return [.. Enumerable.Range(0, days).Select(i => Snap($"{start.AddDays(i):yyyy-MM-dd}T{time}Z", status))];
    }

    private static string[] Utc(IEnumerable<Snapshot> snapshots) =>
        [.. snapshots.Select(s => s.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))];

    [Fact]
    public void A_month_is_sent_only_once_a_later_month_has_a_complete_snapshot()
    {
        var january = Daily("2025-01-25", 7);
        Assert.Empty(ArchiveSelection.Candidates(january, s_monthly, TimeZoneInfo.Utc));

        var february = Daily("2025-02-01", 1);
        Assert.Equal(["2025-01-31 10:00"], Utc(ArchiveSelection.Candidates([.. january, .. february], s_monthly, TimeZoneInfo.Utc)));

        // A failed snapshot closes nothing and is never sent: January is still open, then its last complete day goes.
        var failedFebruary = Daily("2025-02-01", 1, status: SnapshotStatus.Failed);
        Assert.Empty(ArchiveSelection.Candidates([.. january, .. failedFebruary], s_monthly, TimeZoneInfo.Utc));
        var failedLastDay = january.Take(6).Concat(Daily("2025-01-31", 1, status: SnapshotStatus.Partial)).Concat(february);
        Assert.Equal(["2025-01-30 10:00"], Utc(ArchiveSelection.Candidates(failedLastDay, s_monthly, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void Periods_are_those_of_the_jobs_time_zone()
    {
        // 23:30 UTC is 00:30 the next day in Berlin (winter): the UTC month end belongs to February there.
        var snapshots = Daily("2025-01-28", 5, "23:30:00");
        Assert.Equal(["2025-01-31 23:30"], Utc(ArchiveSelection.Candidates(snapshots, s_monthly, TimeZoneInfo.Utc)));
        Assert.Equal(["2025-01-30 23:30"], Utc(ArchiveSelection.Candidates(snapshots, s_monthly, s_berlin)));
    }

    [Fact]
    public void Each_calendar_rule_names_its_own_period_ends_and_tags_are_sent_at_once()
    {
        // Wednesday 2025-01-01 to Wednesday 2025-01-15: ISO weeks end on Sundays 5 and 12; the year 2024 has no snapshot.
        var snapshots = Daily("2025-01-01", 15);
        var policy = new RetentionPolicy { Weekly = 2, Yearly = 1 };
        Assert.Equal(["2025-01-05 10:00", "2025-01-12 10:00"], Utc(ArchiveSelection.Candidates(snapshots, policy, TimeZoneInfo.Utc)));

        var tagged = Snap("2025-01-15T12:00:00Z", tags: ["release"]);
        var withTags = new RetentionPolicy { Monthly = 1, KeepTags = [["release"]] };
        Assert.Equal(["2025-01-15 12:00"], Utc(ArchiveSelection.Candidates([.. snapshots, tagged], withTags, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void The_archive_receives_what_it_lacks_and_would_keep_and_nothing_it_has()
    {
        // Five closed months in a long hot history (January is still running), an archive that keeps two months: only
        // the last two month ends are sent.
        var hot = Daily("2024-08-01", 184);
        var keepTwo = new RetentionPolicy { Monthly = 2 };
        var first = ArchiveSelection.Choose(hot, [], keepTwo, DateTimeOffset.Parse("2025-02-02T00:00:00Z", CultureInfo.InvariantCulture), TimeZoneInfo.Utc);
        Assert.Equal(["2024-08-31 10:00", "2024-09-30 10:00", "2024-10-31 10:00", "2024-11-30 10:00", "2024-12-31 10:00"], Utc(first.Candidates));
        Assert.Equal(["2024-11-30 10:00", "2024-12-31 10:00"], Utc(first.ToCopy));
        Assert.Empty(first.Present);

        // The archive has December as a copy (copied_from names the original): only November is still to send.
        var copy = Snap("2024-12-31T10:00:00Z") with { CopiedFrom = first.ToCopy[1].Id };
        var second = ArchiveSelection.Choose(hot, [copy], keepTwo, DateTimeOffset.Parse("2025-02-02T00:00:00Z", CultureInfo.InvariantCulture), TimeZoneInfo.Utc);
        Assert.Equal(["2024-12-31 10:00"], Utc(second.Present));
        Assert.Equal(["2024-11-30 10:00"], Utc(second.ToCopy));
    }
}
