using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Notifications;

/// <summary>Makes the <see cref="JobEvent"/> that tells of a finished run, from its result or from the error that ended it.</summary>
public static class JobEvents
{
    /// <summary>
    /// The event of a run that produced a result: failure when a component failed or a target could not be written
    /// (naming the first such component or target, its error and a hint), otherwise success.
    /// </summary>
    public static JobEvent FromResult(CairnConfig config, JobRunResult result, DateTimeOffset time, TimeSpan? duration = null, IReadOnlyList<string>? logTail = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(result);
        var snapshot = result.Snapshot;
        var failedComponent = snapshot?.Components.FirstOrDefault(c => c.Status == SnapshotStatus.Failed);
        var failedTarget = result.Targets.FirstOrDefault(t => t.Error is not null);
        bool failed = snapshot?.Status == SnapshotStatus.Failed || failedTarget is not null;
        string? component = failedComponent?.Name ?? (failedTarget is not null ? "target " + failedTarget.Target : null);
        string? error = failedComponent is not null ? failedComponent.Error ?? "failed" : failedTarget?.Error;
        var summary = snapshot?.Summary;
        return new JobEvent
        {
            Kind = failed ? NotificationEvent.Failure : NotificationEvent.Success,
            Job = result.Job.Name,
            Instance = snapshot?.Instance ?? config.Instance,
            Environment = snapshot?.Environment ?? config.Environment,
            Time = time,
            Component = failed ? component : null,
            Error = failed ? error : null,
            Hint = failed ? Hints.For(error, failedTarget?.ExitCode) : null,
            SnapshotId = result.Targets.FirstOrDefault(t => t.SnapshotId is not null)?.SnapshotId?.ToShortString(),
            Duration = duration ?? (summary is { } s && s.Finished > s.Started ? s.Finished - s.Started : null),
            BytesRead = summary?.BytesRead ?? snapshot?.Components.Sum(c => c.Bytes ?? 0) ?? 0,
            BytesAdded = summary?.BytesAdded ?? snapshot?.Components.Sum(c => c.BytesAdded ?? 0) ?? 0,
            Files = summary is { } f ? f.FilesNew + f.FilesChanged + f.FilesUnchanged : 0,
            LogTail = logTail ?? [],
        };
    }

    /// <summary>The event of a run that ended with an error before it had a result (no target could be opened, ...).</summary>
    public static JobEvent FromError(CairnConfig config, string job, Exception error, DateTimeOffset time, TimeSpan? duration = null, IReadOnlyList<string>? logTail = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(error);
        var code = error is CairnException cairn ? cairn.ExitCode : (ExitCode?)null;
        return new JobEvent
        {
            Kind = error is OperationCanceledException ? NotificationEvent.Incomplete : NotificationEvent.Failure,
            Job = job,
            Instance = config.Instance,
            Environment = config.Environment,
            Time = time,
            Error = NotificationText.OneLine(error.Message),
            Hint = Hints.For(error.Message, code),
            Duration = duration,
            LogTail = logTail ?? [],
        };
    }
}

/// <summary>One line on what to do about an error, from its exit code or from words servers commonly use.</summary>
public static class Hints
{
    private static readonly (string[] Words, string Hint)[] s_byWords =
    [
        (["password authentication failed", "access denied", "authentication failed", "wrongpass", "noauth", "invalid password", "unauthorized", "401", "403"],
            "check the credentials in the job's config (password, password_file or ${VARIABLE})"),
        (["connection refused", "could not connect", "no route to host", "name or service not known", "no such host", "timed out", "timeout"],
            "check that the server is running and reachable from this host"),
        (["not found on path", "command not found", "no such file or directory", "is not installed"],
            "install the component's dump tool, or set its path in the component's options"),
        (["no space left", "storage full", "quota"],
            "free space in the target, or raise its quota, then run the job again"),
    ];

    /// <summary>A hint for <paramref name="error"/> with <paramref name="code"/>, or null when none fits.</summary>
    public static string? For(string? error, ExitCode? code)
    {
        var byCode = code switch
        {
            ExitCode.RepositoryNotFound => "check the target's location, or create the repository with 'cairn init'",
            ExitCode.Locked => "another operation holds the repository's lock: wait for it, or run 'cairn unlock' if it died",
            ExitCode.WrongPassword => "check the target's password (password_file, or the ${VARIABLE} it names)",
            ExitCode.StorageFull => "free space in the target, or raise its quota, then run the job again",
            ExitCode.Integrity => "run 'cairn check --read-data' on the target and repair what it names",
            _ => null,
        };
        if (byCode is not null || string.IsNullOrEmpty(error)) return byCode;
        var lower = error.ToLowerInvariant();
        return s_byWords.FirstOrDefault(h => h.Words.Any(w => lower.Contains(w, StringComparison.Ordinal))).Hint;
    }
}
