using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Retention;

/// <summary>
/// Config-load checks of what retention, archive tiers and scheduled prune read, so that a mistake is reported with
/// its file:line:col when the file is loaded, not when the first backup has already run: each job's retention and
/// archive retention (see <see cref="RetentionDefinitions.Check"/>), an archive target that is undefined or is one of
/// the job's own targets, and each target's prune limits.
/// </summary>
internal static class RetentionConfigCheck
{
    public static void Check(ConfigMapping root, ConfigBinder binder)
    {
        var targetNames = root.Get("targets") is ConfigMapping targets ? targets.Entries.Select(e => e.Key.Value).ToList() : [];
        if (root.Get("targets") is ConfigMapping targetNodes)
        {
            foreach (var (key, node) in targetNodes.Entries)
                if (node is ConfigMapping target && target.Get("prune") is ConfigMapping prune)
                    CheckPrune(prune, $"targets.{key.Value}.prune", binder);
        }
        if (root.Get("jobs") is not ConfigMapping jobs) return;
        foreach (var (jobKey, jobNode) in jobs.Entries)
        {
            if (jobNode is not ConfigMapping job) continue;
            var path = "jobs." + jobKey.Value;
            if (job.Get("retention") is ConfigMapping retention) CheckRetention(retention, path + ".retention", archive: false, binder);
            if (job.Get("archive") is not ConfigMapping archive) continue;
            if (archive.Get("retention") is ConfigMapping archiveRetention) CheckRetention(archiveRetention, path + ".archive.retention", archive: true, binder);
            if (archive.Get("target") is not ConfigScalar { IsNull: false } archiveTarget || archiveTarget.Value.Contains('$', StringComparison.Ordinal)) continue;
            var own = job.Get("targets") is ConfigSequence jobTargets
                ? jobTargets.Items.OfType<ConfigScalar>().Select(t => t.Value).ToList() : [];
            if (!targetNames.Contains(archiveTarget.Value))
            {
                var hint = Suggestions.DidYouMean(archiveTarget.Value, targetNames);
                binder.Problem(archiveTarget, $"{path}.archive.target: undefined target '{archiveTarget.Value}';" +
                    (hint.Length > 0 ? hint : targetNames.Count > 0 ? " defined targets: " + string.Join(", ", targetNames) : " the file defines no targets"));
            }
            else if (own.Contains(archiveTarget.Value))
            {
                binder.Problem(archiveTarget, $"{path}.archive.target: '{archiveTarget.Value}' is one of the job's own targets; " +
                    "the archive must be another target (the job's snapshots are copied there and kept by the archive's retention)");
            }
        }
    }

    private static void CheckRetention(ConfigMapping node, string path, bool archive, ConfigBinder binder)
    {
        // Bound again here (interpolated like the rest); problems binding already reported are the same and merged.
        if (binder.BindRecord(typeof(RetentionDefinition), node, path) is not RetentionDefinition definition) return;
        foreach (var problem in RetentionDefinitions.Check(definition, archive))
            binder.Problem(At(node, problem.Key), $"{path}: {problem.Message}");
    }

    private static void CheckPrune(ConfigMapping node, string path, ConfigBinder binder)
    {
        if (binder.BindRecord(typeof(PruneScheduleDefinition), node, path) is not PruneScheduleDefinition definition) return;
        foreach (var problem in ScheduledPrune.Check(definition))
            binder.Problem(At(node, problem.Key), $"{path}: {problem.Message}");
    }

    /// <summary>The value of <paramref name="key"/> if the mapping has it, else the mapping itself.</summary>
    private static ConfigNode At(ConfigMapping node, string? key) => key is not null && node.Get(key) is { } value ? value : node;
}
