using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Service;

namespace Cairn.Orchestration.Notifications;

/// <summary>Sends every run's start, end and every stale report to the job's notification channels.</summary>
public sealed class NotifyingObserver(Notifier notifier) : IJobRunObserver
{
    // A start ping (healthchecks' /start) must not delay the backup while a channel is down and being retried, so it is
    // sent in the background; the run's end waits for it, so that a channel hears "start" before "success" or "fail".
    private readonly Dictionary<string, Task> _starts = [];
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public Task RunStartedAsync(JobEvent started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        var send = notifier.NotifyAsync(started, cancellationToken);
        lock (_lock) _starts[started.Job] = send;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task RunFinishedAsync(JobEvent finished, JobRunResult? result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(finished);
        Task? start;
        lock (_lock) _starts.Remove(finished.Job, out start);
        if (start is not null) await start.ConfigureAwait(false);
        await notifier.NotifyAsync(finished, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task JobStaleAsync(JobEvent stale, CancellationToken cancellationToken) => notifier.NotifyAsync(stale, cancellationToken);
}
