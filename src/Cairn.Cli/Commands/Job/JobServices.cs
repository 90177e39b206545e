using Cairn.Orchestration.Config;
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

    /// <summary>The observers every run and stale report goes to.</summary>
    public static IReadOnlyList<IJobRunObserver> Observers(Session session, CairnConfig config)
    {
        _ = session;
        _ = config;
        return [];
    }

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
