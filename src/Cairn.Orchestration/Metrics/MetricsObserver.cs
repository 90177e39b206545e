using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Service;

namespace Cairn.Orchestration.Metrics;

/// <summary>Feeds every run's start and end into the daemon's metrics (running, last run, last success, failures, sizes).</summary>
public sealed class MetricsObserver(CairnMetrics metrics) : IJobRunObserver
{
    /// <inheritdoc/>
    public Task RunStartedAsync(JobEvent started, CancellationToken cancellationToken)
    {
        metrics.Observe(started);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task RunFinishedAsync(JobEvent finished, JobRunResult? result, CancellationToken cancellationToken)
    {
        metrics.Observe(finished);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task JobStaleAsync(JobEvent stale, CancellationToken cancellationToken) => Task.CompletedTask;
}
