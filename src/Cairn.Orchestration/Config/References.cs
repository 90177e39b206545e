namespace Cairn.Orchestration.Config;

/// <summary>
/// Checks across the file that binding one value at a time cannot see: jobs name defined targets, job and component
/// names are unique and safe, and each job has something to do. Works on the nodes, so it reports even when some
/// values failed to bind.
/// </summary>
internal static class References
{
    public static void Check(ConfigMapping root, ConfigBinder binder)
    {
        var targetNames = root.Get("targets") is ConfigMapping targets ? targets.Entries.Select(e => e.Key.Value).ToList() : [];
        if (root.Get("jobs") is not ConfigMapping jobs) return;
        foreach (var (jobKey, jobNode) in jobs.Entries)
        {
            if (NameRules.Check(jobKey.Value) is { } nameProblem) binder.Problem(jobKey, $"job name '{jobKey.Value}' {nameProblem}");
            if (jobNode is not ConfigMapping job) continue;
            var path = "jobs." + jobKey.Value;
            if (job.Get("targets") is ConfigSequence jobTargets)
            {
                if (jobTargets.Items.Count == 0) binder.Problem(jobTargets, $"{path}.targets: a job needs at least one target");
                foreach (var target in jobTargets.Items.OfType<ConfigScalar>())
                {
                    if (target.IsNull || targetNames.Contains(target.Value) || target.Value.Contains('$', StringComparison.Ordinal)) continue;
                    var hint = Suggestions.DidYouMean(target.Value, targetNames);
                    binder.Problem(target, $"{path}.targets: undefined target '{target.Value}';" +
                        (hint.Length > 0 ? hint : targetNames.Count > 0 ? " defined targets: " + string.Join(", ", targetNames) : " the file defines no targets"));
                }
            }
            if (job.Get("components") is not ConfigSequence components) continue;
            if (components.Items.Count == 0) binder.Problem(components, $"{path}.components: a job needs at least one component");
            var seen = new Dictionary<string, ConfigNode>();
            foreach (var component in components.Items.OfType<ConfigMapping>())
            {
                if (component.Get("name") is not ConfigScalar { IsNull: false } name) continue;
                if (seen.TryGetValue(name.Value, out var first))
                    binder.Problem(name, $"{path}.components: duplicate component name '{name.Value}' (first at line {first.Line}); names must be unique within a job");
                else seen[name.Value] = name;
            }
        }
    }
}
