using Cairn.Orchestration.Service;
using Microsoft.Extensions.Time.Testing;

namespace Cairn.Tests.Service;

/// <summary>The daemon's scheduling rules, each driven by a fake clock.</summary>
public sealed class SchedulerTests
{
    private static readonly DateTimeOffset s_start = new(2025, 1, 6, 0, 0, 0, TimeSpan.Zero); // a Monday

    private static ScheduledJob Job(string name, string cron, string? zone = null, TimeSpan jitter = default) =>
        new(name, CronSchedule.Parse(cron, zone), jitter);

    private static Scheduler Make(FakeTimeProvider time, int maxConcurrent, Func<string, DateTimeOffset?>? lastSlot, params ScheduledJob[] jobs) =>
        new(jobs, maxConcurrent, time, new Random(42), lastSlot ?? (_ => null));

    [Fact]
    public void A_job_never_overlaps_itself_and_slots_missed_while_it_ran_start_it_once_right_after()
    {
        var time = new FakeTimeProvider(s_start);
        var scheduler = Make(time, 4, null, Job("db", "* * * * *"));
        Assert.Empty(scheduler.TakeDue());
        Assert.Equal(s_start.AddMinutes(1), scheduler.NextDue("db"));

        time.Advance(TimeSpan.FromMinutes(1));
        var first = Assert.Single(scheduler.TakeDue());
        Assert.Equal(("db", s_start.AddMinutes(1), false), (first.Job, first.Slot, first.CatchUp));

        // Three more slots pass while the run goes on: none starts a second run.
        for (int i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.Empty(scheduler.TakeDue());
        }
        Assert.Equal(1, scheduler.Running);

        time.Advance(TimeSpan.FromSeconds(30));
        scheduler.Finished("db");
        var again = Assert.Single(scheduler.TakeDue());
        Assert.Equal(s_start.AddMinutes(2), again.Slot);
        Assert.Equal(s_start.AddMinutes(4), again.HandledThrough);
        Assert.True(again.CatchUp);
        scheduler.Finished("db");
        Assert.Empty(scheduler.TakeDue());
        Assert.Equal(s_start.AddMinutes(5), scheduler.NextDue("db"));
    }

    [Fact]
    public void At_most_max_concurrent_jobs_run_and_the_others_wait_in_the_order_they_became_due()
    {
        var time = new FakeTimeProvider(s_start);
        // Config order differs from due order on purpose: c is due first, then b, then a, then d.
        var scheduler = Make(time, 2, null,
            Job("a", "0 3 * * *"), Job("b", "0 2 * * *"), Job("c", "0 1 * * *"), Job("d", "0 4 * * *"));
        time.Advance(TimeSpan.FromHours(5));
        var started = scheduler.TakeDue();
        Assert.Equal(["c", "b"], started.Select(r => r.Job));
        Assert.Null(scheduler.NextWake); // full: only a finishing run can let another start
        Assert.Empty(scheduler.TakeDue());

        scheduler.Finished("b");
        Assert.Equal(["a"], scheduler.TakeDue().Select(r => r.Job));
        scheduler.Finished("c");
        Assert.Equal(["d"], scheduler.TakeDue().Select(r => r.Job));
        Assert.Equal(2, scheduler.Running);
    }

    [Fact]
    public void After_a_three_day_gap_a_missed_daily_slot_is_caught_up_once_not_three_times()
    {
        var lastHandled = new DateTimeOffset(2025, 1, 3, 2, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 6, 10, 0, 0, TimeSpan.Zero));
        var scheduler = Make(time, 1, name => name == "nightly" ? lastHandled : null, Job("nightly", "0 2 * * *"), Job("fresh", "0 2 * * *"));

        var runs = scheduler.TakeDue();
        var run = Assert.Single(runs); // "fresh" has no state: it waits for its next slot instead of running at start
        Assert.Equal("nightly", run.Job);
        Assert.Equal(lastHandled.AddDays(1), run.Slot);
        Assert.Equal(new DateTimeOffset(2025, 1, 6, 2, 0, 0, TimeSpan.Zero), run.HandledThrough);
        Assert.True(run.CatchUp);
        scheduler.Finished("nightly");
        Assert.Empty(scheduler.TakeDue());
        Assert.Equal(new DateTimeOffset(2025, 1, 7, 2, 0, 0, TimeSpan.Zero), scheduler.NextDue("nightly"));
        Assert.Equal(new DateTimeOffset(2025, 1, 7, 2, 0, 0, TimeSpan.Zero), scheduler.NextDue("fresh"));
    }

    [Fact]
    public void Jitter_delays_each_slot_by_a_seeded_random_amount_below_the_jitter()
    {
        var jitter = TimeSpan.FromMinutes(10);
        var time = new FakeTimeProvider(s_start);
        var scheduler = Make(time, 1, null, Job("web", "0 * * * *", jitter: jitter));
        var delays = new List<TimeSpan>();
        for (int hour = 1; hour <= 50; hour++)
        {
            var slot = s_start.AddHours(hour);
            var due = scheduler.NextDue("web")!.Value;
            Assert.InRange(due - slot, TimeSpan.Zero, jitter - TimeSpan.FromTicks(1));
            delays.Add(due - slot);
            // Not due at the slot itself when the jitter delays it, due at its jittered time.
            time.SetUtcNow(slot);
            if (due > slot) Assert.Empty(scheduler.TakeDue());
            time.SetUtcNow(due);
            Assert.Equal(slot, Assert.Single(scheduler.TakeDue()).Slot);
            scheduler.Finished("web");
        }
        Assert.True(delays.Distinct().Count() > 40, "the delays should differ from slot to slot");
        Assert.True(delays.Max() > TimeSpan.FromMinutes(7) && delays.Min() < TimeSpan.FromMinutes(3), "the delays should spread over the jitter");

        // The same seed gives the same delays: tests (and nothing else) rely on that.
        var again = new Scheduler([Job("web", "0 * * * *", jitter: jitter)], 1, new FakeTimeProvider(s_start), new Random(42), _ => null);
        Assert.Equal(delays[0], again.NextDue("web")!.Value - s_start.AddHours(1));
    }

    [Fact]
    public void Daylight_saving_in_Europe_Berlin_skips_nothing_and_runs_nothing_twice()
    {
        // 02:30 local does not exist on 30 March 2025 (clocks jump 02:00 -> 03:00) and happens twice on 26 October.
        var schedule = CronSchedule.Parse("30 2 * * *", "Europe/Berlin");
        var utc = TimeSpan.Zero;
        Assert.Equal(new DateTimeOffset(2025, 3, 29, 1, 30, 0, utc), schedule.NextAfter(new DateTimeOffset(2025, 3, 29, 0, 0, 0, utc))); // CET, +1
        Assert.Equal(new DateTimeOffset(2025, 3, 30, 1, 0, 0, utc), schedule.NextAfter(new DateTimeOffset(2025, 3, 29, 2, 0, 0, utc))); // at the jump
        Assert.Equal(new DateTimeOffset(2025, 3, 31, 0, 30, 0, utc), schedule.NextAfter(new DateTimeOffset(2025, 3, 30, 2, 0, 0, utc))); // CEST, +2
        var autumn = schedule.NextAfter(new DateTimeOffset(2025, 10, 25, 23, 0, 0, utc))!.Value;
        Assert.Equal(new DateTimeOffset(2025, 10, 26, 0, 30, 0, utc), autumn); // the first 02:30 (CEST)
        Assert.Equal(new DateTimeOffset(2025, 10, 27, 1, 30, 0, utc), schedule.NextAfter(autumn)); // not the second 02:30 (CET)

        // Through the scheduler: one run per local day across both changes.
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 28, 12, 0, 0, utc));
        var scheduler = new Scheduler([new ScheduledJob("berlin", schedule, TimeSpan.Zero)], 1, time, new Random(1), _ => null);
        var runs = new List<DateTimeOffset>();
        for (int i = 0; i < 24 * 4; i++)
        {
            time.Advance(TimeSpan.FromHours(1));
            foreach (var run in scheduler.TakeDue())
            {
                runs.Add(run.Slot);
                scheduler.Finished(run.Job);
            }
        }
        Assert.Equal([new(2025, 3, 29, 1, 30, 0, utc), new(2025, 3, 30, 1, 0, 0, utc), new(2025, 3, 31, 0, 30, 0, utc), new(2025, 4, 1, 0, 30, 0, utc)], runs);
    }

    [Fact]
    public void Latest_slot_at_or_before_a_time_is_found_for_dense_and_sparse_schedules()
    {
        var now = new DateTimeOffset(2025, 6, 15, 12, 34, 56, TimeSpan.Zero);
        Assert.Equal(now, CronSchedule.Parse("* * * * * *", null).LatestAtOrBefore(now));
        Assert.Equal(new DateTimeOffset(2025, 6, 15, 12, 34, 0, TimeSpan.Zero), CronSchedule.Parse("* * * * *", null).LatestAtOrBefore(now));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), CronSchedule.Parse("@yearly", null).LatestAtOrBefore(now));
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 0, 0, 0, TimeSpan.Zero), CronSchedule.Parse("0 0 29 2 *", null).LatestAtOrBefore(now));
    }

    [Fact]
    public void Config_load_names_bad_schedules_and_time_zones_by_line_and_column()
    {
        using var files = new Cairn.Tests.Config.ConfigTestFiles();
        var problems = files.Problems("""
            targets:
              t: {repository: /r, prune: {schedule: "0 4 * * 8"}}
            jobs:
              j:
                targets: [t]
                schedule: "0 2 * *"
                time_zone: Mars/Olympus
                components: [{name: c, type: files, paths: [/]}]
              ok: {targets: [t], schedule: "*/5 * * * * *", time_zone: Europe/Berlin, components: [{name: c, type: files, paths: [/]}]}
            """);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("7:16: jobs.j.time_zone: 'Mars/Olympus' is not a known IANA time zone", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("6:15: jobs.j.schedule: '0 2 * *' is not a cron expression: it has 4 fields", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("2:41: targets.t.prune.schedule: '0 4 * * 8' is not a valid cron expression", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0 2 * *", null, "it has 4 fields")]
    [InlineData("0 25 * * *", null, "is not a valid cron expression")]
    [InlineData("0 2 * * *", "Europe/Berlinn", "'Europe/Berlinn' is not a known IANA time zone")]
    public void Bad_expressions_and_zones_are_named(string cron, string? zone, string expected)
    {
        Assert.Contains(expected, CronSchedule.Problem(cron, zone));
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => CronSchedule.Parse(cron, zone)).ExitCode);
    }

    [Fact]
    public void A_prune_waits_for_its_targets_running_job_the_job_waits_for_the_prune_and_other_targets_jobs_go_on()
    {
        var time = new FakeTimeProvider(s_start);
        var prune = Job("prune:t", "0 4 * * *") with { ExcludedWith = ["db"] };
        var scheduler = Make(time, 3, null, Job("db", "30 3,5 * * *"), prune, Job("other", "0 * * * *"));

        time.Advance(TimeSpan.FromMinutes(3 * 60 + 30)); // 03:30: the backup of the target starts (and "other", due since 01:00)
        Assert.Equal(["other", "db"], scheduler.TakeDue().Select(r => r.Job).Order(StringComparer.Ordinal).Reverse());
        scheduler.Finished("other");

        time.Advance(TimeSpan.FromMinutes(30)); // 04:00: the prune is due but db still runs; "other" is not held back
        Assert.Equal(["other"], scheduler.TakeDue().Select(r => r.Job));
        Assert.True(scheduler.IsWaiting("prune:t"));
        Assert.Null(scheduler.NextWake); // nothing to wake for: only db finishing lets the prune start
        scheduler.Finished("other");

        time.Advance(TimeSpan.FromMinutes(20));
        scheduler.Finished("db");
        var started = Assert.Single(scheduler.TakeDue());
        Assert.Equal(("prune:t", s_start.AddHours(4)), (started.Job, started.Slot));

        time.Advance(TimeSpan.FromMinutes(70)); // 05:30: db is due while the prune still runs; it waits for it
        Assert.Equal(["other"], scheduler.TakeDue().Select(r => r.Job));
        Assert.True(scheduler.IsWaiting("db"));
        scheduler.Finished("other");
        time.Advance(TimeSpan.FromMinutes(5));
        scheduler.Finished("prune:t");
        var db = Assert.Single(scheduler.TakeDue());
        Assert.Equal(("db", s_start.AddHours(5.5)), (db.Job, db.Slot));
        Assert.Equal(s_start.AddDays(1).AddHours(4), scheduler.NextDue("prune:t"));
    }

    [Fact]
    public void A_waiting_prune_is_not_overtaken_by_a_job_that_runs_longer_than_its_interval_nor_by_jobs_due_after_it()
    {
        var time = new FakeTimeProvider(s_start);
        var scheduler = Make(time, 4, null,
            Job("a", "* * * * *"), Job("b", "30 0 * * 2"), Job("prune:t", "0 0 * * *") with { ExcludedWith = ["a", "b"] });
        time.SetUtcNow(s_start.AddMinutes(1)); // 00:01: a runs
        Assert.Equal(["a"], scheduler.TakeDue().Select(r => r.Job));
        scheduler.Finished("a");
        time.SetUtcNow(s_start.AddMinutes(2));
        Assert.Equal(["a"], scheduler.TakeDue().Select(r => r.Job));
        time.SetUtcNow(s_start.AddDays(1).AddMinutes(1)); // a is still running when the prune's slot (00:00) passes
        Assert.Empty(scheduler.TakeDue());
        Assert.True(scheduler.IsWaiting("prune:t"));
        scheduler.Finished("a");
        // a has been overdue since 00:03 the day before, but the prune waited for it: the prune goes, a waits.
        Assert.Equal(["prune:t"], scheduler.TakeDue().Select(r => r.Job));
        Assert.True(scheduler.IsWaiting("a"));
        time.SetUtcNow(s_start.AddDays(1).AddMinutes(40));
        Assert.Empty(scheduler.TakeDue()); // b (Tuesdays 00:30) waits too
        Assert.True(scheduler.IsWaiting("b"));
        scheduler.Finished("prune:t");
        Assert.Equal(["a", "b"], scheduler.TakeDue().Select(r => r.Job).Order(StringComparer.Ordinal));
    }
}
