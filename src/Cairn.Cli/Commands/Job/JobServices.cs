using Cairn.Orchestration.Config;
using Cairn.Orchestration.Metrics;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Retention;
using Cairn.Orchestration.Service;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands.Job;

/// <summary>
/// What <c>cairn job run</c> and <c>cairn daemon</c> share: the state directory and the <see cref="JobExecution"/> that
/// runs jobs, with its observers (retention, notifications and metrics hook in here, once, for both).
/// </summary>
internal static class JobServices
{
    /// <summary>The state store: <paramref name="stateDirectory"/> (--state-dir), else the config's daemon.state_directory, else the default.</summary>
    public static JobStateStore StateStore(Session session, CairnConfig config, string? stateDirectory = null) =>
        new(JobStateStore.DefaultDirectory(stateDirectory ?? config.Daemon.StateDirectory, session.Env.Get, Cairn.Platform.Accounts.IsRoot));

    /// <summary>
    /// The observers every run and stale report goes to: the job's notification channels always; for the daemon
    /// (<paramref name="daemon"/> set) also retention after each run, which <c>cairn job run</c> applies itself to print
    /// and return it, and the metrics it serves.
    /// </summary>
    public static IReadOnlyList<IJobRunObserver> Observers(Session session, CairnConfig config, Action<string> warn, DaemonParts? daemon = null)
    {
        var observers = new List<IJobRunObserver>();
        if (daemon is not null)
        {
            var retention = new JobRetention(config, (target, token) => TargetAccess.OpenAsync(session, target, LockKind.Shared, token), session.Env.Time);
            observers.Add(new RetentionObserver(retention, (job, line) => daemon.Log.Info(job, line)));
        }
        // The notifier lives as long as the process (its HttpClient is reused by every send).
        if (config.Notifications.Count > 0) observers.Add(new NotifyingObserver(new Notifier(config, warn)));
        if (daemon?.Metrics is { } metrics)
            observers.Add(new MetricsObserver(metrics, config, (target, token) => TargetAccess.OpenAsync(session, target, lockKind: null, token, loadIndex: false), warn));
        return observers;
    }

    /// <summary>What only the daemon adds to the observers: its log, and the metrics it serves (if --metrics).</summary>
    public sealed record DaemonParts(DaemonLog Log, CairnMetrics? Metrics);

    /// <summary>A job execution writing progress to <paramref name="info"/>.</summary>
    public static JobExecution Execution(Session session, CairnConfig config, JobStateStore state, IReadOnlyList<IJobRunObserver> observers,
        Action<string> info, Action<string> warn) =>
        new(config, state, (target, token) => TargetAccess.OpenAsync(session, target, LockKind.Shared, token), session.Env.Time)
        {
            Observers = observers,
            Info = info,
            Warn = warn,
            TargetFinished = outcome =>
            {
                if (outcome.Error is { } error) warn($"target {outcome.Target}: {error}");
            },
        };
}
