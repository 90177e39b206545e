using Cairn.Maintenance.Prune;
using Cairn.Orchestration.Config;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Retention;

/// <summary>What a scheduled prune of one target did.</summary>
/// <param name="Target">The target's name.</param>
/// <param name="Plan">The plan's numbers (null when the repository could not be opened or planned).</param>
/// <param name="Result">What was deleted and written (null when it did not run).</param>
/// <param name="Error">Why it failed or was refused (missing or damaged data: nothing deleted), or null.</param>
/// <param name="ExitCode">The failure's code; Success when it ran.</param>
public sealed record ScheduledPruneOutcome(string Target, PruneStatistics? Plan, PruneResult? Result, string? Error, ExitCode ExitCode);

/// <summary>
/// Prune on a target's own schedule (<c>targets.NAME.prune</c>), not after every job: forgetting snapshots is cheap and
/// happens after each successful run (see <see cref="JobRetention"/>), while prune reads every tree, holds the
/// exclusive lock and, on cold storage, may pay early-deletion fees, so it runs when the operator chose (e.g. weekly).
/// The daemon calls <see cref="RunAsync"/> when <see cref="PruneScheduleDefinition.Schedule"/> fires.
/// </summary>
public static class ScheduledPrune
{
    /// <summary>What is wrong with a target's prune settings (max_unused, max_repack_size); the schedule is the scheduler's to check.</summary>
    public static IReadOnlyList<SettingProblem> Check(PruneScheduleDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var problems = new List<SettingProblem>();
        if (definition.MaxUnused is { } unused && !UnusedLimit.TryParse(unused, out _))
            problems.Add(new("max_unused", $"max_unused '{unused}' is not a limit: use a percentage from 0% to 100%, a size such as 1G, or 'unlimited'"));
        if (definition.MaxRepackSize is { } size && ByteSize.TryParse(size) is null)
            problems.Add(new("max_repack_size", $"max_repack_size '{size}' is not a size: use e.g. 500M or 10G"));
        return problems;
    }

    /// <summary>The prune options of a target's settings (defaults: 5% unused, no repack limit, archived packs not repacked).</summary>
    /// <exception cref="CairnException">Usage: a setting cannot be read.</exception>
    public static PruneOptions Options(PruneScheduleDefinition? definition)
    {
        if (definition is null) return new PruneOptions();
        var problems = Check(definition);
        if (problems.Count > 0) throw new CairnException(string.Join("; ", problems.Select(p => p.Message)), ExitCode.Usage);
        return new PruneOptions
        {
            MaxUnused = definition.MaxUnused is { } unused && UnusedLimit.TryParse(unused, out var limit) ? limit : UnusedLimit.Default,
            MaxRepackBytes = definition.MaxRepackSize is { } size ? ByteSize.TryParse(size) : null,
        };
    }

    /// <summary>
    /// Prunes <paramref name="target"/> with its prune settings: plans, refuses (deleting nothing) if the repository has
    /// missing or damaged data, else deletes and repacks. Partly used archived packs are kept, never thawed: an
    /// unattended run must not start a paid restore. Errors are returned in the outcome, not thrown (only cancellation
    /// and setting errors throw).
    /// </summary>
    /// <param name="target">The target to prune.</param>
    /// <param name="openExclusive">
    /// Opens the target's repository holding the EXCLUSIVE lock (a running backup's packs are not indexed yet and would
    /// look unused); the index need not be loaded, the planner reads it. Disposed here.
    /// </param>
    /// <param name="info">Progress lines, or null.</param>
    /// <param name="cancellationToken">Stops the prune; what it did so far leaves every snapshot intact.</param>
    public static async Task<ScheduledPruneOutcome> RunAsync(TargetDefinition target, Func<TargetDefinition, CancellationToken, Task<Repository>> openExclusive,
        Action<string>? info, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(openExclusive);
        var options = Options(target.Prune);
        PruneStatistics? statistics = null;
        try
        {
            await using var repository = await openExclusive(target, cancellationToken).ConfigureAwait(false);
            var plan = await PrunePlanner.PlanAsync(repository, options, cancellationToken).ConfigureAwait(false);
            statistics = plan.Statistics;
            if (plan.Problems.Count > 0) throw new PruneRefusedException(plan.Problems, plan.TotalProblems);
            var result = await Pruner.ExecuteAsync(repository, plan, options, cancellationToken).ConfigureAwait(false);
            info?.Invoke($"pruned target {target.Name}: deleted {result.PacksDeleted} packs, repacked {result.PacksRepacked}, freed {result.BytesFreed} bytes");
            return new ScheduledPruneOutcome(target.Name, statistics, result, null, ExitCode.Success);
        }
        catch (CairnException e) when (!cancellationToken.IsCancellationRequested)
        {
            info?.Invoke($"prune of target {target.Name} failed: {e.Message}");
            return new ScheduledPruneOutcome(target.Name, statistics, null, e.Message, e.ExitCode);
        }
    }
}
