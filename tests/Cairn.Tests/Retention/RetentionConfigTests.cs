using Cairn.Maintenance.Prune;
using Cairn.Maintenance.Retention;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Retention;
using Cairn.Tests.Config;

namespace Cairn.Tests.Retention;

/// <summary>Job retention, archive and target prune settings: conversion to forget's policy, and problems reported at load with their position.</summary>
public sealed class RetentionConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const string Targets = """
        targets:
          hot: {repository: /hot}
          replica: {repository: /replica}
          cold:
            repository: /cold
            data_storage_class: DEEP_ARCHIVE
            prune: {schedule: "0 4 * * 0", max_unused: 10%, max_repack_size: 2G}
        """;

    [Fact]
    public void A_retention_and_an_archive_load_and_become_forget_policies()
    {
        var config = _files.Load(Targets + "\n" + """
            jobs:
              nightly:
                targets: [hot, replica]
                components: [{name: c, type: files, paths: [/]}]
                retention: {keep_daily: 7, keep_weekly: -1, keep_within: 1y2m, keep_tags: [release, signed], keep_min: 3}
                archive:
                  target: cold
                  retention: {keep_monthly: 4, keep_yearly: 12}
            """);

        var job = config.FindJob("nightly")!;
        var hot = RetentionDefinitions.ToPolicy(job.Retention!, "jobs.nightly.retention");
        Assert.Equal((0, 7, RetentionPolicy.Unlimited, 0, 3), (hot.Last, hot.Daily, hot.Weekly, hot.Monthly, hot.KeepMin));
        Assert.Equal(new RetentionDuration(1, 2, 0, 0), hot.Within);
        Assert.Equal(["release", "signed"], Assert.Single(hot.KeepTags));
        Assert.Equal(SnapshotGroupings.Default, hot.GroupBy);
        var archive = RetentionDefinitions.ToPolicy(job.Archive!.Retention, "jobs.nightly.archive.retention", archive: true);
        Assert.Equal((4, 12, 0), (archive.Monthly, archive.Yearly, archive.Daily));
        Assert.Equal("cold", job.Archive.Target);

        var cold = config.Targets["cold"];
        Assert.Equal("DEEP_ARCHIVE", cold.DataStorageClass);
        var prune = ScheduledPrune.Options(cold.Prune);
        Assert.Equal(10, prune.MaxUnused.PercentOfRepository);
        Assert.Equal(2L << 30, prune.MaxRepackBytes);
        Assert.Equal(UnusedLimit.Default, ScheduledPrune.Options(null).MaxUnused);
    }

    [Fact]
    public void Every_bad_retention_value_is_a_problem_at_its_line_and_column()
    {
        var problems = _files.Problems(Targets + "\n" + """
            jobs:
              a:
                targets: [hot]
                components: [{name: c, type: files, paths: [/]}]
                retention:
                  keep_daily: -2
                  keep_within: 2w
                  keep_min: -1
              b:
                targets: [hot]
                components: [{name: c, type: files, paths: [/]}]
                retention: {keep_min: 5}
              c:
                targets: [hot]
                components: [{name: c, type: files, paths: [/]}]
                retention: {keep_daily: 0}
            """);

        Assert.Equal([
            "13:19: jobs.a.retention: keep_daily must be a count of zero or more, or -1 for unlimited (got -2)",
            "14:20: jobs.a.retention: keep_within: '2w' is not a duration: 'w' is not a unit (y, m, d or h)",
            "15:17: jobs.a.retention: keep_min must be zero or more (got -1)",
            "19:16: jobs.b.retention: keep_min only protects snapshots from the other rules: add a rule such as keep_daily: 7",
            "23:16: jobs.c.retention: a retention needs at least one rule (keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly, keep_within or keep_tags): without one it would forget every snapshot",
        ], problems);
    }

    [Fact]
    public void An_archive_must_be_another_defined_target_with_a_rule_that_chooses_what_it_receives()
    {
        var problems = _files.Problems(Targets + "\n" + """
            jobs:
              a:
                targets: [hot, replica]
                components: [{name: c, type: files, paths: [/]}]
                archive: {target: replica, retention: {keep_monthly: 4}}
              b:
                targets: [hot]
                components: [{name: c, type: files, paths: [/]}]
                archive: {target: colt, retention: {keep_yearly: 3}}
              c:
                targets: [hot]
                components: [{name: c, type: files, paths: [/]}]
                archive: {target: cold, retention: {keep_last: 3}}
            """);

        Assert.Equal([
            "12:23: jobs.a.archive.target: 'replica' is one of the job's own targets; the archive must be another target (the job's snapshots are copied there and kept by the archive's retention)",
            "16:23: jobs.b.archive.target: undefined target 'colt'; did you mean 'cold'?",
            "20:40: jobs.c.archive.retention: an archive's retention needs keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly or keep_tags: those choose which snapshots are sent to the archive (keep_last, keep_within and keep_min only say what it keeps)",
        ], problems);
    }

    [Fact]
    public void Bad_prune_limits_of_a_target_are_problems_at_their_values()
    {
        var problems = _files.Problems("""
            targets:
              hot:
                repository: /hot
                prune: {schedule: "0 4 * * 0", max_unused: 120%, max_repack_size: lots}
            jobs: {j: {targets: [hot], components: [{name: c, type: files, paths: [/]}]}}
            """);

        Assert.Equal([
            "4:48: targets.hot.prune: max_unused '120%' is not a limit: use a percentage from 0% to 100%, a size such as 1G, or 'unlimited'",
            "4:71: targets.hot.prune: max_repack_size 'lots' is not a size: use e.g. 500M or 10G",
        ], problems);
    }

    [Fact]
    public void Values_from_variables_are_checked_once_interpolated()
    {
        _files.Variables["DAYS"] = "-7";
        var problems = _files.Problems(Targets + "\n" + """
            jobs:
              a:
                targets: [hot]
                components: [{name: c, type: files, paths: [/]}]
                retention: {keep_daily: "${DAYS}"}
            """);

        Assert.Equal(["12:29: jobs.a.retention: keep_daily must be a count of zero or more, or -1 for unlimited (got -7)"], problems);
    }

    [Fact]
    public void A_definition_built_in_code_is_checked_by_the_conversion_too()
    {
        var error = Assert.Throws<CairnException>(() => RetentionDefinitions.ToPolicy(new RetentionDefinition { KeepWithin = "forever" }, "jobs.x.retention"));
        Assert.Equal(ExitCode.Usage, error.ExitCode);
        Assert.StartsWith("jobs.x.retention: keep_within: 'forever' is not a duration", error.Message);
        Assert.Throws<CairnException>(() => ScheduledPrune.Options(new PruneScheduleDefinition { Schedule = "@daily", MaxUnused = "much" }));
    }
}
