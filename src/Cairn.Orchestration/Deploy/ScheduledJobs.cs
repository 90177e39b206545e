using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Deploy;

/// <summary>The jobs a scheduler deployment covers: every job with a schedule, or the one named.</summary>
public static class ScheduledJobs
{
    /// <summary>
    /// The config's jobs with a schedule, or just <paramref name="name"/>; a missing job is exit 17, a job without a
    /// schedule (or none scheduled at all) exit 2, each in one line.
    /// </summary>
    public static IReadOnlyList<JobDefinition> Select(CairnConfig config, string? name)
    {
        ArgumentNullException.ThrowIfNull(config);
        var hint = "add one (e.g. schedule: \"0 2 * * *\")";
        if (name is not null)
        {
            var job = config.FindJob(name) ?? throw new CairnException($"the config {config.SourcePath} has no job '{name}'", ExitCode.NotFound);
            return job.Schedule is null ? throw new CairnException($"job '{name}' has no schedule: {hint} to it in {config.SourcePath}", ExitCode.Usage) : [job];
        }
        var jobs = config.Jobs.Where(j => j.Schedule is not null).ToList();
        return jobs.Count > 0 ? jobs : throw new CairnException($"no job in {config.SourcePath} has a schedule: {hint} to a job", ExitCode.Usage);
    }
}
