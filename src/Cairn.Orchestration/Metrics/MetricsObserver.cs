using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Service;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Metrics;

/// <summary>
/// Feeds every run's start and end into the daemon's metrics (running, last run, last success, failures), and after a
/// run reads what each of the job's targets now holds (the job's snapshots, the repository's size). It runs after
/// retention, so the counts are what retention kept.
/// </summary>
public sealed class MetricsObserver(CairnMetrics metrics, CairnConfig config, Func<TargetDefinition, CancellationToken, Task<Repository>> openTarget,
    Action<string>? warn = null) : IJobRunObserver
{
    /// <inheritdoc/>
    public Task RunStartedAsync(JobEvent started, CancellationToken cancellationToken)
    {
        metrics.Observe(started);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task RunFinishedAsync(JobEvent finished, JobRunResult? result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(finished);
        metrics.Observe(finished);
        if (config.FindJob(finished.Job) is not { } job) return;
        foreach (var name in job.Targets)
        {
            if (!config.Targets.TryGetValue(name, out var target)) continue;
            try
            {
                await using var repository = await openTarget(target, cancellationToken).ConfigureAwait(false);
                var contents = await RepositoryContents.ReadAsync(repository, cancellationToken).ConfigureAwait(false);
                metrics.SetRepository(job.Name, name, contents.CountOf(job.Name, config.Instance), contents.Bytes);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A target that cannot be read keeps its last values; the run's own outcome already says what failed.
                warn?.Invoke($"metrics: cannot read target {name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
    }

    /// <inheritdoc/>
    public Task JobStaleAsync(JobEvent stale, CancellationToken cancellationToken) => Task.CompletedTask;
}
