using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cairn.Content;
using Cairn.Maintenance.Retention;
using Cairn.Snapshots;

namespace Cairn.Tests.Maintenance;

/// <summary>The retention planner with fixed clocks and golden lists of what is kept.</summary>
public sealed class RetentionPlannerTests
{
    private static readonly TimeZoneInfo s_berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo s_newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DateTimeOffset s_now = At("2025-01-01T00:00:00Z");

    /// <summary>
    /// Golden: 7 daily, 4 weekly, 12 monthly over daily snapshots of 2022 and 2023. The days of the last week, the
    /// Sundays of the three weeks before, and the last day of each earlier month back to January 2023.
    /// restic 0.14 (forget --dry-run on a repository of the same 730 snapshots) keeps exactly these.
    /// </summary>
    private static readonly string[] s_golden7d4w12m =
    [
        "2023-12-31", "2023-12-30", "2023-12-29", "2023-12-28", "2023-12-27", "2023-12-26", "2023-12-25",
        "2023-12-24", "2023-12-17", "2023-12-10",
        "2023-11-30", "2023-10-31", "2023-09-30", "2023-08-31", "2023-07-31", "2023-06-30", "2023-05-31", "2023-04-30",
        "2023-03-31", "2023-02-28", "2023-01-31",
    ];

    [Fact]
    public void Seven_daily_four_weekly_twelve_monthly_over_two_years_of_daily_snapshots_keeps_the_golden_days()
    {
        var snapshots = DailyAt10Utc(new DateOnly(2022, 1, 1), new DateOnly(2023, 12, 31));
        Assert.Equal(730, snapshots.Count);
        var plan = RetentionPlanner.Plan(snapshots, new RetentionPolicy { Daily = 7, Weekly = 4, Monthly = 12 }, s_now, TimeZoneInfo.Utc);

        var group = Assert.Single(plan.Groups);
        Assert.Equal(s_golden7d4w12m, group.Kept.Select(s => Day(s, TimeZoneInfo.Utc)));
        Assert.Equal(730 - 21, plan.Removed.Count());
        Assert.Equal(["daily snapshot (2023-12-31)", "weekly snapshot (2023-W52)", "monthly snapshot (2023-12)"], Reasons(group, "2023-12-31"));
        Assert.Equal(["daily snapshot (2023-12-25)"], Reasons(group, "2023-12-25"));
        Assert.Equal(["weekly snapshot (2023-W50)"], Reasons(group, "2023-12-17"));
        Assert.Equal(["monthly snapshot (2023-02)"], Reasons(group, "2023-02-28"));
        Assert.Equal(["no rule keeps it"], Reasons(group, "2023-12-23"));
        Assert.All(group.Decisions.Where(d => !d.Keep), d => Assert.Equal(RetentionRule.NoRule, Assert.Single(d.Reasons).Rule));
    }

    /// <summary>
    /// More policies over the same two years, each with the days restic 0.14 keeps (forget --dry-run --json, TZ=UTC).
    /// The one difference is deliberate: restic 0.16+ (and cairn) also keep the oldest snapshot while a count rule
    /// has periods left, here the fifth year of --keep-yearly 5.
    /// </summary>
    [Theory]
    [InlineData("last=3 weekly=2 yearly=5", "2023-12-31 2023-12-30 2023-12-29 2023-12-24 2022-12-31 2022-01-01")]
    [InlineData("within=10d monthly=3",
        "2023-12-31 2023-12-30 2023-12-29 2023-12-28 2023-12-27 2023-12-26 2023-12-25 2023-12-24 2023-12-23 2023-12-22 2023-11-30 2023-10-31")]
    [InlineData("within-weekly=2m within-daily=5d",
        "2023-12-31 2023-12-30 2023-12-29 2023-12-28 2023-12-27 2023-12-24 2023-12-17 2023-12-10 2023-12-03 2023-11-26 2023-11-19 2023-11-12 2023-11-05")]
    [InlineData("within-monthly=1y1m within-yearly=5y",
        "2023-12-31 2023-11-30 2023-10-31 2023-09-30 2023-08-31 2023-07-31 2023-06-30 2023-05-31 2023-04-30 2023-03-31 2023-02-28 2023-01-31 2022-12-31")]
    [InlineData("hourly=5 monthly=2", "2023-12-31 2023-12-30 2023-12-29 2023-12-28 2023-12-27 2023-11-30")]
    public void Policies_over_two_years_keep_what_restic_keeps(string rules, string keptDays)
    {
        var policy = new RetentionPolicy();
        foreach (var rule in rules.Split(' '))
        {
            var (name, value) = (rule.Split('=')[0], rule.Split('=')[1]);
            policy = name switch
            {
                "last" => policy with { Last = int.Parse(value, CultureInfo.InvariantCulture) },
                "hourly" => policy with { Hourly = int.Parse(value, CultureInfo.InvariantCulture) },
                "weekly" => policy with { Weekly = int.Parse(value, CultureInfo.InvariantCulture) },
                "monthly" => policy with { Monthly = int.Parse(value, CultureInfo.InvariantCulture) },
                "yearly" => policy with { Yearly = int.Parse(value, CultureInfo.InvariantCulture) },
                "within" => policy with { Within = RetentionDuration.Parse(value) },
                "within-daily" => policy with { WithinDaily = RetentionDuration.Parse(value) },
                "within-weekly" => policy with { WithinWeekly = RetentionDuration.Parse(value) },
                "within-monthly" => policy with { WithinMonthly = RetentionDuration.Parse(value) },
                "within-yearly" => policy with { WithinYearly = RetentionDuration.Parse(value) },
                _ => throw new ArgumentException(rule),
            };
        }
        var group = Single(DailyAt10Utc(new DateOnly(2022, 1, 1), new DateOnly(2023, 12, 31)), policy, TimeZoneInfo.Utc);
        Assert.Equal(keptDays.Split(' '), group.Kept.Select(s => Day(s, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void Counts_that_outlast_the_history_keep_the_oldest_snapshot_too()
    {
        // Three days, two snapshots on the first: 10 daily periods are not used up, so the very oldest stays (restic 0.16+).
        var snapshots = new[] { Snap("2024-05-01T08:00:00Z"), Snap("2024-05-01T20:00:00Z"), Snap("2024-05-02T08:00:00Z"), Snap("2024-05-03T08:00:00Z") };
        var group = Single(snapshots, new RetentionPolicy { Daily = 10 }, TimeZoneInfo.Utc);
        Assert.All(group.Decisions, d => Assert.True(d.Keep));
        Assert.Equal("oldest daily snapshot (2024-05-01)", Assert.Single(group.Decisions[^1].Reasons).Description);

        // Used up: two daily periods end at 05-02, so 05-01 goes, oldest or not.
        var usedUp = Single(snapshots, new RetentionPolicy { Daily = 2 }, TimeZoneInfo.Utc);
        Assert.Equal(["2024-05-03T08:00:00Z", "2024-05-02T08:00:00Z"], Times(usedUp.Kept));
    }

    [Fact]
    public void Unlimited_keeps_one_snapshot_per_period()
    {
        var snapshots = DailyAt10Utc(new DateOnly(2023, 11, 20), new DateOnly(2024, 2, 3));
        var group = Single(snapshots, new RetentionPolicy { Monthly = RetentionPolicy.Unlimited }, TimeZoneInfo.Utc);
        Assert.Equal(["2024-02-03", "2024-01-31", "2023-12-31", "2023-11-30", "2023-11-20"], group.Kept.Select(s => Day(s, TimeZoneInfo.Utc)));
        Assert.Equal("oldest monthly snapshot (2023-11)", group.Decisions[^1].Reasons[0].Description);
    }

    [Fact]
    public void Hours_in_Berlin_follow_the_wall_clock_across_both_daylight_saving_changes()
    {
        var snapshots = new[]
        {
            // 31 March 2024: 02:00 CET jumps to 03:00 CEST. Two snapshots one real hour apart, two clock hours apart.
            Snap("2024-03-31T01:30:00+01:00"), Snap("2024-03-31T03:30:00+02:00"),
            // 27 October 2024: 03:00 CEST falls back to 02:00 CET, so 02:xx happens twice.
            Snap("2024-10-27T01:30:00+02:00"),
            Snap("2024-10-27T02:15:00+02:00"), // first 02:xx (00:15 UTC)
            Snap("2024-10-27T02:40:00+01:00"), // second 02:xx (01:40 UTC): the same clock hour, and newer
            Snap("2024-10-27T03:10:00+01:00"),
        };
        var group = Single(snapshots, new RetentionPolicy { Hourly = 100 }, s_berlin);
        Assert.Equal(
        [
            "2024-10-27T02:10:00Z keep hourly snapshot (2024-10-27 03:00)",
            "2024-10-27T01:40:00Z keep hourly snapshot (2024-10-27 02:00)",
            "2024-10-27T00:15:00Z remove no rule keeps it",
            "2024-10-26T23:30:00Z keep hourly snapshot (2024-10-27 01:00)",
            "2024-03-31T01:30:00Z keep hourly snapshot (2024-03-31 03:00)",
            "2024-03-31T00:30:00Z keep hourly snapshot (2024-03-31 01:00)",
        ], Lines(group));

        // The 25-hour day is one day, and midnight is Berlin's, not UTC's.
        var days = Single([.. snapshots, Snap("2024-10-26T21:30:00Z"), Snap("2024-10-26T22:30:00Z"), Snap("2024-10-27T23:30:00Z")],
            new RetentionPolicy { Daily = 3 }, s_berlin);
        Assert.Equal(["2024-10-28", "2024-10-27", "2024-10-26"], days.Kept.Select(s => Day(s, s_berlin)));
        Assert.Equal(["2024-10-27T23:30:00Z", "2024-10-27T02:10:00Z", "2024-10-26T21:30:00Z"], Times(days.Kept)); // the last is 10-26 23:30 CEST
    }

    [Fact]
    public void Snapshots_recorded_with_different_offsets_are_bucketed_in_the_one_zone_given()
    {
        var snapshots = new[]
        {
            Snap("2024-05-01T23:30:00-05:00"), // 05-02 04:30 UTC
            Snap("2024-05-02T09:00:00+09:00"), // 05-02 00:00 UTC
            Snap("2024-05-01T20:00:00Z"),
        };
        var utc = Single(snapshots, new RetentionPolicy { Daily = 2 }, TimeZoneInfo.Utc);
        Assert.Equal(["2024-05-02T04:30:00Z", "2024-05-01T20:00:00Z"], Times(utc.Kept));
        // New York (UTC-4 in May): 00:30 on 05-02, then 20:00 and 16:00 on 05-01.
        var newYork = Single(snapshots, new RetentionPolicy { Daily = 2 }, s_newYork);
        Assert.Equal(["2024-05-02T04:30:00Z", "2024-05-02T00:00:00Z"], Times(newYork.Kept));
        Assert.Equal("daily snapshot (2024-05-01)", newYork.Decisions[1].Reasons[0].Description);
    }

    [Fact]
    public void A_policy_that_would_remove_everything_keeps_the_newest_complete_snapshot()
    {
        var snapshots = new[]
        {
            Snap("2024-01-01T10:00:00Z"), Snap("2024-01-02T10:00:00Z"), Snap("2024-01-03T10:00:00Z"),
            Snap("2024-01-04T10:00:00Z", SnapshotStatus.Failed),
        };
        var group = Single(snapshots, new RetentionPolicy { KeepTags = [["never-used"]] }, TimeZoneInfo.Utc);
        Assert.Equal(
        [
            "2024-01-04T10:00:00Z keep failed, kept: newer than the group's newest complete snapshot",
            "2024-01-03T10:00:00Z keep the group's newest complete snapshot: a policy never removes it",
            "2024-01-02T10:00:00Z remove no rule keeps it",
            "2024-01-01T10:00:00Z remove no rule keeps it",
        ], Lines(group));

        // A window anchored on a much newer failed snapshot misses every complete one; the newest complete still stays.
        var window = Single([.. snapshots, Snap("2024-02-01T10:00:00Z", SnapshotStatus.Partial)], new RetentionPolicy { Within = RetentionDuration.Parse("1d") }, TimeZoneInfo.Utc);
        Assert.Equal(["2024-02-01T10:00:00Z", "2024-01-04T10:00:00Z", "2024-01-03T10:00:00Z"], Times(window.Kept));
        Assert.Equal(RetentionRule.LastComplete, window.Decisions[2].Reasons.Single().Rule);
    }

    [Fact]
    public void Failed_and_partial_snapshots_use_up_no_period_and_go_once_a_newer_complete_one_exists()
    {
        var snapshots = new[]
        {
            Snap("2024-06-06T10:00:00Z", SnapshotStatus.Partial),
            Snap("2024-06-05T20:00:00Z", SnapshotStatus.Failed), // same day as a complete one: does not take its place
            Snap("2024-06-05T10:00:00Z"),
            Snap("2024-06-04T10:00:00Z", SnapshotStatus.Failed),
            Snap("2024-06-03T10:00:00Z"),
            Snap("2024-06-02T10:00:00Z", SnapshotStatus.Partial),
            Snap("2024-06-01T10:00:00Z"),
            Snap("2024-05-31T10:00:00Z"),
        };
        var group = Single(snapshots, new RetentionPolicy { Daily = 3 }, TimeZoneInfo.Utc);
        Assert.Equal(
        [
            "2024-06-06T10:00:00Z keep partial, kept: newer than the group's newest complete snapshot",
            "2024-06-05T20:00:00Z keep failed, kept: newer than the group's newest complete snapshot",
            "2024-06-05T10:00:00Z keep daily snapshot (2024-06-05)",
            "2024-06-04T10:00:00Z remove failed: not counted by the policy, and a newer complete snapshot exists",
            "2024-06-03T10:00:00Z keep daily snapshot (2024-06-03)",
            "2024-06-02T10:00:00Z remove partial: not counted by the policy, and a newer complete snapshot exists",
            "2024-06-01T10:00:00Z keep daily snapshot (2024-06-01)",
            "2024-05-31T10:00:00Z remove no rule keeps it",
        ], Lines(group));

        // keep-last counts complete snapshots only; time and tag rules do keep failed and partial ones.
        var last = Single(snapshots, new RetentionPolicy { Last = 2, Within = RetentionDuration.Parse("2d1h"), KeepTags = [["x"]] }, TimeZoneInfo.Utc);
        Assert.Equal(["2024-06-06T10:00:00Z", "2024-06-05T20:00:00Z", "2024-06-05T10:00:00Z", "2024-06-04T10:00:00Z", "2024-06-03T10:00:00Z"], Times(last.Kept));
        Assert.Equal([RetentionRule.Within], last.Decisions[3].Reasons.Select(r => r.Rule));
        Assert.Equal([RetentionRule.Last], last.Decisions[4].Reasons.Select(r => r.Rule));
        Assert.Equal(RetentionRule.Incomplete, last.Decisions[5].Reasons.Single().Rule);
    }

    [Fact]
    public void A_group_with_no_complete_snapshot_keeps_every_one()
    {
        var snapshots = new[] { Snap("2024-06-01T10:00:00Z", SnapshotStatus.Partial), Snap("2024-06-02T10:00:00Z", SnapshotStatus.Failed) };
        var group = Single(snapshots, new RetentionPolicy { Last = 1 }, TimeZoneInfo.Utc);
        Assert.False(group.HasComplete);
        Assert.All(group.Decisions, d => Assert.Equal("kept: the group has no complete snapshot", d.Reasons.Single().Description.Split(", ", 2)[1]));
    }

    [Fact]
    public void Keep_min_keeps_the_newest_complete_snapshots_whatever_their_age()
    {
        var snapshots = new[]
        {
            Snap("2024-01-01T10:00:00Z"), Snap("2024-01-08T10:00:00Z"), Snap("2024-01-15T10:00:00Z"),
            Snap("2024-01-22T10:00:00Z", SnapshotStatus.Partial), Snap("2024-01-29T10:00:00Z"),
        };
        var policy = new RetentionPolicy { Within = RetentionDuration.Parse("1d"), KeepMin = 3 };
        var group = Single(snapshots, policy, TimeZoneInfo.Utc);
        // The partial one does not count toward the three, so 01-08 is the third; 01-22 goes (a newer complete exists).
        Assert.Equal(
        [
            "2024-01-29T10:00:00Z keep within 1d of the newest snapshot; one of the newest 3 complete snapshots (keep-min)",
            "2024-01-22T10:00:00Z remove partial: not counted by the policy, and a newer complete snapshot exists",
            "2024-01-15T10:00:00Z keep one of the newest 3 complete snapshots (keep-min)",
            "2024-01-08T10:00:00Z keep one of the newest 3 complete snapshots (keep-min)",
            "2024-01-01T10:00:00Z remove no rule keeps it",
        ], Lines(group));
    }

    [Fact]
    public void Keep_within_counts_back_from_the_newest_snapshot_that_is_not_in_the_future()
    {
        var snapshots = DailyAt10Utc(new DateOnly(2024, 1, 1), new DateOnly(2024, 1, 10)).Append(Snap("2030-01-01T00:00:00Z")).ToList();
        var now = At("2024-03-01T00:00:00Z");
        var plan = RetentionPlanner.Plan(snapshots, new RetentionPolicy { Within = RetentionDuration.Parse("3d") }, now, TimeZoneInfo.Utc);
        // From 01-10 10:00: strictly after 01-07 10:00. The snapshot dated 2030 is within too, but anchors nothing.
        Assert.Equal(["2030-01-01T00:00:00Z", "2024-01-10T10:00:00Z", "2024-01-09T10:00:00Z", "2024-01-08T10:00:00Z"], Times(plan.Groups[0].Kept));

        var hours = RetentionPlanner.Plan(snapshots, new RetentionPolicy { Within = RetentionDuration.Parse("2d12h") }, now, TimeZoneInfo.Utc);
        Assert.Equal(["2030-01-01T00:00:00Z", "2024-01-10T10:00:00Z", "2024-01-09T10:00:00Z", "2024-01-08T10:00:00Z"], Times(hours.Groups[0].Kept));
        var hoursShorter = RetentionPlanner.Plan(snapshots, new RetentionPolicy { Within = RetentionDuration.Parse("1d23h") }, now, TimeZoneInfo.Utc);
        Assert.Equal(["2030-01-01T00:00:00Z", "2024-01-10T10:00:00Z", "2024-01-09T10:00:00Z"], Times(hoursShorter.Groups[0].Kept));
    }

    [Fact]
    public void Keep_within_period_rules_keep_one_complete_snapshot_per_period_inside_the_window()
    {
        var snapshots = new List<Snapshot>();
        for (var day = new DateOnly(2024, 1, 1); day <= new DateOnly(2024, 3, 20); day = day.AddDays(1))
        {
            snapshots.Add(Snap($"{day:yyyy-MM-dd}T06:00:00Z"));
            snapshots.Add(Snap($"{day:yyyy-MM-dd}T18:00:00Z", day.Day == 20 ? SnapshotStatus.Failed : SnapshotStatus.Complete));
        }
        var daily = Single(snapshots, new RetentionPolicy { WithinDaily = RetentionDuration.Parse("3d") }, TimeZoneInfo.Utc);
        // Anchor: 03-20 18:00 (failed, but newest). Window: after 03-17 18:00. 03-20's complete one is 06:00.
        Assert.Equal(["2024-03-20T18:00:00Z", "2024-03-20T06:00:00Z", "2024-03-19T18:00:00Z", "2024-03-18T18:00:00Z"], Times(daily.Kept));
        Assert.Equal("daily snapshot (2024-03-20) within 3d", daily.Decisions[1].Reasons.Single().Description);

        var monthly = Single(snapshots, new RetentionPolicy { WithinMonthly = RetentionDuration.Parse("2m") }, TimeZoneInfo.Utc);
        // After 01-20 18:00: the newest complete of March, February and January (01-31 18:00).
        Assert.Equal(["2024-03-20T18:00:00Z", "2024-03-20T06:00:00Z", "2024-02-29T18:00:00Z", "2024-01-31T18:00:00Z"], Times(monthly.Kept));

        var weekly = Single(snapshots, new RetentionPolicy { WithinWeekly = RetentionDuration.Parse("14d"), WithinHourly = RetentionDuration.Parse("12h") }, TimeZoneInfo.Utc);
        // Weeks start on Monday: 03-18, 03-11, 03-04 (the window reaches back to 03-06 18:00). The 12 hours hold only the
        // failed 18:00 snapshot (06:00 is exactly 12 hours back, not within), so the hourly rule adds nothing.
        Assert.Equal(["2024-03-20T18:00:00Z", "2024-03-20T06:00:00Z", "2024-03-17T18:00:00Z", "2024-03-10T18:00:00Z"], Times(weekly.Kept));
        Assert.Equal([RetentionRule.WithinWeekly], weekly.Decisions[1].Reasons.Select(r => r.Rule));

        var yearly = Single(snapshots, new RetentionPolicy { WithinYearly = RetentionDuration.Parse("5y") }, TimeZoneInfo.Utc);
        Assert.Equal(["2024-03-20T18:00:00Z", "2024-03-20T06:00:00Z"], Times(yearly.Kept));
    }

    [Fact]
    public void Keep_tag_keeps_snapshots_with_all_tags_of_any_list()
    {
        var snapshots = new[]
        {
            Snap("2024-01-05T10:00:00Z"),
            Snap("2024-01-04T10:00:00Z", tags: ["a"]),
            Snap("2024-01-03T10:00:00Z", tags: ["a", "b"]),
            Snap("2024-01-02T10:00:00Z", SnapshotStatus.Partial, tags: ["c"]),
            Snap("2024-01-01T10:00:00Z", tags: ["b", "c", "a"]),
        };
        var group = Single(snapshots, new RetentionPolicy { KeepTags = [["a", "b"], ["c"]] }, TimeZoneInfo.Utc);
        Assert.Equal(
        [
            "2024-01-05T10:00:00Z keep the group's newest complete snapshot: a policy never removes it",
            "2024-01-04T10:00:00Z remove no rule keeps it",
            "2024-01-03T10:00:00Z keep has tags a,b",
            "2024-01-02T10:00:00Z keep has tags c",
            "2024-01-01T10:00:00Z keep has tags a,b; has tags c",
        ], Lines(group));
    }

    [Fact]
    public void Groups_follow_group_by_and_each_group_gets_the_policy_and_the_guard_on_its_own()
    {
        var snapshots = new[]
        {
            Snap("2024-01-01T10:00:00Z", host: "a", paths: ["/etc", "/srv"]),
            Snap("2024-01-02T10:00:00Z", host: "a", paths: ["/srv", "/etc"], tags: ["x"]),
            Snap("2024-01-03T10:00:00Z", host: "a", paths: ["/home"], instance: "db"),
            Snap("2024-01-04T10:00:00Z", host: "b", paths: ["/etc", "/srv"], tags: ["x"], instance: "db"),
        };
        var policy = new RetentionPolicy { Last = 1 };
        var byHostPaths = RetentionPlanner.Plan(snapshots, policy, s_now, TimeZoneInfo.Utc);
        Assert.Equal(["host a, paths /etc /srv", "host a, paths /home", "host b, paths /etc /srv"], byHostPaths.Groups.Select(g => g.Key.ToString()));
        Assert.Equal(["2024-01-01T10:00:00Z"], Times(byHostPaths.Removed));

        var none = RetentionPlanner.Plan(snapshots, policy with { GroupBy = SnapshotGroupings.Parse("") }, s_now, TimeZoneInfo.Utc);
        var all = Assert.Single(none.Groups);
        Assert.Equal("all snapshots", all.Key.ToString());
        Assert.Null(all.Key.Hostname);
        Assert.Equal(["2024-01-04T10:00:00Z"], Times(all.Kept));

        var byTags = RetentionPlanner.Plan(snapshots, policy with { GroupBy = SnapshotGroupings.Parse("tags") }, s_now, TimeZoneInfo.Utc);
        Assert.Equal(["no tags", "tags x"], byTags.Groups.Select(g => g.Key.ToString()));
        Assert.Equal(["2024-01-03T10:00:00Z", "2024-01-04T10:00:00Z"], Times(byTags.Groups.SelectMany(g => g.Kept)));

        var byInstance = RetentionPlanner.Plan(snapshots, policy with { GroupBy = SnapshotGroupings.Parse("host, instance") }, s_now, TimeZoneInfo.Utc);
        Assert.Equal(["host a, no instance", "host a, instance db", "host b, instance db"], byInstance.Groups.Select(g => g.Key.ToString()));
        Assert.Equal(["2024-01-02T10:00:00Z", "2024-01-03T10:00:00Z", "2024-01-04T10:00:00Z"], Times(byInstance.Groups.SelectMany(g => g.Kept)));
        Assert.Equal("host,tags,instance", SnapshotGroupings.Format(SnapshotGroupings.Parse("instance,tags,host")));
        Assert.Throws<FormatException>(() => SnapshotGroupings.Parse("host,user"));
    }

    [Fact]
    public void Snapshots_with_equal_times_are_ordered_by_id_so_the_plan_is_the_same_every_time()
    {
        var snapshots = Enumerable.Range(0, 6).Select(i => Snap("2024-01-01T10:00:00Z", tags: [$"t{i}"])).ToList();
        var first = Single(snapshots, new RetentionPolicy { Last = 2 }, TimeZoneInfo.Utc);
        var reversed = Single(Enumerable.Reverse(snapshots), new RetentionPolicy { Last = 2 }, TimeZoneInfo.Utc);
        Assert.Equal(first.Kept.Select(s => s.Id), reversed.Kept.Select(s => s.Id));
        Assert.Equal(snapshots.Select(s => s.Id).OrderDescending().Take(2), first.Kept.Select(s => s.Id));
    }

    [Fact]
    public void An_empty_or_malformed_policy_is_refused()
    {
        var snapshots = new[] { Snap("2024-01-01T10:00:00Z") };
        Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan(snapshots, new RetentionPolicy(), s_now, TimeZoneInfo.Utc));
        Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan(snapshots, new RetentionPolicy { KeepMin = 5 }, s_now, TimeZoneInfo.Utc));
        Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan(snapshots, new RetentionPolicy { Daily = -2 }, s_now, TimeZoneInfo.Utc));
        Assert.Throws<ArgumentException>(() => RetentionPlanner.Plan(snapshots, new RetentionPolicy { KeepTags = [[]] }, s_now, TimeZoneInfo.Utc));
        Assert.True(new RetentionPolicy { KeepMin = 5 }.IsEmpty);
        Assert.False(new RetentionPolicy { WithinYearly = RetentionDuration.Parse("1y") }.IsEmpty);
    }

    [Fact]
    public void Policies_describe_themselves_as_restic_does()
    {
        var policy = new RetentionPolicy
        {
            Last = 3, Daily = 7, Monthly = RetentionPolicy.Unlimited, WithinDaily = RetentionDuration.Parse("10d"),
            Within = RetentionDuration.Parse("2y"), KeepTags = [["a", "b"]], KeepMin = 2,
        };
        Assert.Equal("keep 3 latest, 7 daily, all monthly snapshots, daily snapshots within 10d, all snapshots within 2y of the newest, " +
                     "all snapshots with tags a,b, at least the newest 2 complete snapshots", policy.ToString());
    }

    [Theory]
    [InlineData("1y2m3d4h", 1, 2, 3, 4, "1y2m3d4h")]
    [InlineData("4h3d", 0, 0, 3, 4, "3d4h")]
    [InlineData("30d", 0, 0, 30, 0, "30d")]
    [InlineData("0y1m", 0, 1, 0, 0, "1m")]
    public void Durations_parse_restic_syntax(string text, int years, int months, int days, int hours, string canonical)
    {
        var duration = RetentionDuration.Parse(text);
        Assert.Equal(new RetentionDuration(years, months, days, hours), duration);
        Assert.Equal(canonical, duration.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("7")]
    [InlineData("7w")]
    [InlineData("d")]
    [InlineData("1d2d")]
    [InlineData("0d")]
    [InlineData("-1d")]
    [InlineData("1 d")]
    [InlineData("99999999999d")]
    public void Malformed_durations_are_refused(string text) => Assert.Throws<FormatException>(() => RetentionDuration.Parse(text));

    [Fact]
    public void Durations_count_back_in_calendar_units_clamping_month_ends()
    {
        Assert.Equal(At("2024-02-29T12:00:00+01:00"), RetentionDuration.Parse("1m").SubtractFrom(At("2024-03-31T12:00:00+01:00")));
        Assert.Equal(At("2023-02-28T12:00:00Z"), RetentionDuration.Parse("1y").SubtractFrom(At("2024-02-29T12:00:00Z")));
        Assert.Equal(At("2024-03-30T10:00:00+02:00"), RetentionDuration.Parse("1d2h").SubtractFrom(At("2024-03-31T12:00:00+02:00")));
        Assert.Equal(DateTimeOffset.MinValue, RetentionDuration.Parse("9999y").SubtractFrom(At("2024-01-01T00:00:00Z")));
    }

    private static RetentionGroup Single(IEnumerable<Snapshot> snapshots, RetentionPolicy policy, TimeZoneInfo zone) =>
        Assert.Single(RetentionPlanner.Plan(snapshots, policy, s_now, zone).Groups);

    private static List<Snapshot> DailyAt10Utc(DateOnly first, DateOnly last)
    {
        var list = new List<Snapshot>();
        for (var day = first; day <= last; day = day.AddDays(1)) list.Add(Snap($"{day:yyyy-MM-dd}T10:00:00Z"));
        return list;
    }

    private static string[] Reasons(RetentionGroup group, string day) =>
        [.. group.Decisions.Single(d => Day(d.Snapshot, TimeZoneInfo.Utc) == day).Reasons.Select(r => r.Description)];

    private static string Day(Snapshot s, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(s.Time, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Utc(Snapshot s) => s.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string[] Times(IEnumerable<Snapshot> snapshots) => [.. snapshots.Select(Utc)];

    private static string[] Lines(RetentionGroup group) =>
        [.. group.Decisions.Select(d => $"{Utc(d.Snapshot)} {(d.Keep ? "keep" : "remove")} {string.Join("; ", d.Reasons.Select(r => r.Description))}")];

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static int s_counter;

    internal static Snapshot Snap(string time, SnapshotStatus status = SnapshotStatus.Complete, string host = "h", string[]? paths = null,
        string[]? tags = null, string? instance = null)
    {
        int n = Interlocked.Increment(ref s_counter);
        return new Snapshot
        {
            Time = At(time),
            Tree = ObjectId.Zero,
            Paths = paths ?? ["/data"],
            Hostname = host,
            Tags = tags ?? [],
            Instance = instance,
            Status = status,
            Id = new ObjectId(SHA256.HashData(Encoding.UTF8.GetBytes($"{n}/{time}/{host}"))),
        };
    }
}
