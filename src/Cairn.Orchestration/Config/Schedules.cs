using Cairn.Orchestration.Service;

namespace Cairn.Orchestration.Config;

/// <summary>
/// Checks every cron expression and time zone of the file (jobs' schedule and time_zone, targets' prune schedule) when
/// it is loaded, so a typo is reported with its line and column rather than when the daemon first needs it.
/// </summary>
internal static class Schedules
{
    public static void Check(ConfigMapping root, ConfigBinder binder)
    {
        if (root.Get("jobs") is ConfigMapping jobs)
            foreach (var (key, node) in jobs.Entries)
                if (node is ConfigMapping job) CheckOne(job, "jobs." + key.Value, binder);
        if (root.Get("targets") is ConfigMapping targets)
            foreach (var (key, node) in targets.Entries)
                if (node is ConfigMapping target && target.Get("prune") is ConfigMapping prune) CheckOne(prune, $"targets.{key.Value}.prune", binder);
    }

    private static void CheckOne(ConfigMapping owner, string path, ConfigBinder binder)
    {
        var schedule = owner.Get("schedule") as ConfigScalar;
        var zone = owner.Get("time_zone") as ConfigScalar;
        // Values from ${VARIABLES} are checked when they are used.
        bool Usable(ConfigScalar? s) => s is { IsNull: false } && !s.Value.Contains('$', StringComparison.Ordinal);
        if (Usable(zone) && CronSchedule.Problem("* * * * *", zone!.Value) is { } zoneProblem)
            binder.Problem(zone, $"{path}.time_zone: {zoneProblem}");
        if (Usable(schedule) && CronSchedule.Problem(schedule!.Value, null) is { } cronProblem)
            binder.Problem(schedule, $"{path}.schedule: {cronProblem}");
    }
}
