using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Service;

namespace Cairn.Orchestration.Retention;

/// <summary>
/// Applies a job's retention and archive tier after each of its runs in the daemon (<c>cairn job run</c> applies it
/// itself, to print and return the outcome). <see cref="JobRetention"/> does nothing after a run that was not complete.
/// </summary>
public sealed class RetentionObserver(JobRetention retention, Action<string, string> log) : IJobRunObserver
{
    /// <inheritdoc/>
    public Task RunStartedAsync(JobEvent started, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task RunFinishedAsync(JobEvent finished, JobRunResult? result, CancellationToken cancellationToken)
    {
        if (result is null || result.DryRun || result.Snapshot is null) return;
        var outcome = await retention.ApplyAsync(result.Job, result, cancellationToken).ConfigureAwait(false);
        if (!outcome.Configured) return;
        if (outcome.NotApplied is { } why)
        {
            log(result.Job.Name, "retention not applied: " + why);
            return;
        }
        foreach (var target in outcome.Targets)
        {
            var line = $"retention in {target.Target} ({target.Role.ToString().ToLowerInvariant()}): kept {target.Kept.Count}, " +
                $"forgot {target.Forgotten.Count}" + (target.Copied.Count > 0 ? $", archived {target.Copied.Count}" : "");
            log(result.Job.Name, target.Error is { } error ? $"retention in {target.Target} failed: {error}" : target.Skipped is { } skipped ? $"retention in {target.Target} skipped: {skipped}" : line);
        }
    }

    /// <inheritdoc/>
    public Task JobStaleAsync(JobEvent stale, CancellationToken cancellationToken) => Task.CompletedTask;
}
