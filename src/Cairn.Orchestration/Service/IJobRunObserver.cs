using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Notifications;

namespace Cairn.Orchestration.Service;

/// <summary>
/// Hears about every job run that <see cref="JobExecution"/> makes (from <c>cairn job run</c> or the daemon) and every
/// stale job the daemon finds: the hook for retention, notifications and metrics. A failing observer is logged and never
/// fails the backup or the other observers.
/// </summary>
public interface IJobRunObserver
{
    /// <summary>A run is starting (<paramref name="started"/> has <see cref="JobEvent.Started"/> set).</summary>
    Task RunStartedAsync(JobEvent started, CancellationToken cancellationToken);

    /// <summary>
    /// A run ended and its state is recorded. <paramref name="result"/> is null when the run failed before it could write a
    /// snapshot (the first target unreachable, locked, …); <paramref name="finished"/> says why.
    /// </summary>
    Task RunFinishedAsync(JobEvent finished, JobRunResult? result, CancellationToken cancellationToken);

    /// <summary>A job's last success became older than its rpo (once per stale episode; a success ends the episode).</summary>
    Task JobStaleAsync(JobEvent stale, CancellationToken cancellationToken);
}

/// <summary>Calls observers one after the other, so that one that fails or throws costs nothing but a log line.</summary>
internal static class ObserverCalls
{
    public static async Task NotifyAsync(IReadOnlyList<IJobRunObserver> observers, Func<IJobRunObserver, Task> call, Action<string>? log,
        CancellationToken cancellationToken)
    {
        foreach (var observer in observers)
        {
            try
            {
                await call(observer).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                log?.Invoke($"{observer.GetType().Name} failed: {(e is CairnException ? e.Message : e.GetType().Name + ": " + e.Message)}");
            }
        }
    }
}
