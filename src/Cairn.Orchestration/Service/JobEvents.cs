using System.Globalization;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;

namespace Cairn.Orchestration.Service;

/// <summary>Makes the <see cref="JobEvent"/>s that runs and the RPO check send, with their one-line hints.</summary>
public static class JobEvents
{
    /// <summary>The event for a job whose last success is older than its rpo (see <see cref="JobState.IsStale"/>).</summary>
    public static JobEvent Stale(CairnConfig config, JobDefinition job, JobState state, DateTimeOffset now)
    {
        var rpo = job.Rpo ?? TimeSpan.Zero;
        var error = state.LastSuccess is { } last
            ? $"no successful backup for {Describe(now - last)} (rpo {Describe(rpo)})"
            : $"no successful backup since {state.Created:u} ({Describe(now - (state.Created ?? now))} ago; rpo {Describe(rpo)})";
        return new JobEvent
        {
            Kind = NotificationEvent.Stale,
            Job = job.Name,
            Instance = config.Instance,
            Environment = config.Environment,
            Time = now,
            Error = error,
            Hint = state.LastRun is { Outcome: JobOutcome.Failure or JobOutcome.Incomplete } run
                ? $"the last run ({run.Finished:u}) ended {run.Outcome.ToString().ToLowerInvariant()}: {run.Error}"
                : "the job has not run lately: is 'cairn daemon' (or its timer) running, and is the schedule right?",
            LastSuccess = state.LastSuccess,
            Component = state.LastRun?.Component,
        };
    }

    /// <summary>One line on what to do about a run that ended with <paramref name="code"/>.</summary>
    public static string? Hint(ExitCode code, string job, string? component) => code switch
    {
        ExitCode.Success => null,
        ExitCode.Partial => "some files could not be read: 'cairn ls latest' lists the warnings",
        ExitCode.ComponentFailed => $"fix the component's error, then retry it: cairn job run {job}" + (component is null ? "" : $" --component {component}"),
        ExitCode.Incomplete => "what was stored is kept and the next run goes on from it; if this repeats, raise max_duration or start earlier",
        ExitCode.Locked => "another operation holds the repository's lock: wait for it, or run 'cairn unlock' if it is stale",
        ExitCode.WrongPassword => "the target's password (password, password_file or password_command) does not open the repository",
        ExitCode.RepositoryNotFound => "the target's repository does not exist: create it with 'cairn init'",
        ExitCode.StorageFull => "the storage is full: free space, or forget and prune old snapshots",
        ExitCode.StorageUnreachable => "the storage could not be reached: check the network and the target's address",
        ExitCode.StorageAccessDenied => "the storage refused the credentials: check the target's keys or token",
        ExitCode.Integrity => "the repository holds damaged data: run 'cairn check --read-data', then 'cairn repair'",
        ExitCode.Interrupted => "the run was interrupted; the next run stores what it did not",
        ExitCode.Usage => "the config or the command line is wrong: 'cairn config check' says where",
        _ => $"run 'cairn job run {job}' by hand to see more",
    };

    /// <summary>A span the way people say it: 90s, 26h, 3d 4h.</summary>
    public static string Describe(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        var c = CultureInfo.InvariantCulture;
        if (span.TotalMinutes < 2) return ((long)span.TotalSeconds).ToString(c) + "s";
        if (span.TotalHours < 2) return ((long)span.TotalMinutes).ToString(c) + "m";
        if (span.TotalDays < 3) return ((long)span.TotalHours).ToString(c) + "h" + (span.Minutes > 0 && span.TotalHours < 10 ? $" {span.Minutes.ToString(c)}m" : "");
        return ((long)span.TotalDays).ToString(c) + "d" + (span.Hours > 0 ? $" {span.Hours.ToString(c)}h" : "");
    }
}
