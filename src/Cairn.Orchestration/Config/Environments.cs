namespace Cairn.Orchestration.Config;

/// <summary>
/// Per-environment overrides: <c>environments: {prod: {...}}</c> is deep-merged over the rest of the file for the selected
/// environment. Mappings merge key by key; a list whose items all are mappings with a <c>name</c> (components) merges item
/// by item on that name, appending new names; any other value (scalars, plain lists) replaces the root's.
/// </summary>
internal static class Environments
{
    /// <summary>
    /// The tree to bind for <paramref name="selected"/> (without the <c>environments</c> key), or null after adding a
    /// problem. <paramref name="fileEnvironment"/> is the file's own <c>environment:</c> value.
    /// </summary>
    public static ConfigMapping? Select(ConfigMapping root, string? selected, string? fileEnvironment, string file, List<ConfigProblem> problems)
    {
        var environmentsNode = root.Get("environments");
        var rest = root.Without("environments");
        ConfigMapping? environments = null;
        if (environmentsNode is ConfigMapping m) environments = m;
        else if (environmentsNode is not null and not ConfigScalar { IsNull: true })
        {
            problems.Add(new ConfigProblem(file, environmentsNode.Line, environmentsNode.Column,
                $"environments: expected a mapping of environment names to overrides, got {environmentsNode.KindName}"));
            return rest;
        }
        foreach (var (key, value) in environments?.Entries ?? [])
        {
            if (value is ConfigMapping overrides)
            {
                foreach (var forbidden in new[] { "environments", "environment" })
                    if (overrides.Entries.FirstOrDefault(e => e.Key.Value == forbidden).Key is { } k)
                        problems.Add(new ConfigProblem(file, k.Line, k.Column, $"environments.{key.Value}: '{forbidden}' cannot be overridden per environment"));
            }
            else if (value is not ConfigScalar { IsNull: true })
            {
                problems.Add(new ConfigProblem(file, value.Line, value.Column, $"environments.{key.Value}: expected a mapping of overrides, got {value.KindName}"));
            }
        }
        if (selected is null) return rest;
        var match = environments?.Entries.FirstOrDefault(e => e.Key.Value == selected).Value;
        if (match is null)
        {
            if (selected == fileEnvironment) return rest;
            var defined = (environments?.Entries.Select(e => e.Key.Value) ?? []).ToList();
            var where = (ConfigNode?)root.Entries.FirstOrDefault(e => e.Key.Value == "environments").Key ?? root.Get("environment") ?? root;
            var hint = defined.Count == 0
                ? fileEnvironment is null ? "the file defines no environments" : $"the file defines only its own environment '{fileEnvironment}'"
                : "defined: " + string.Join(", ", defined) + (fileEnvironment is not null && !defined.Contains(fileEnvironment) ? $" (and the file's own '{fileEnvironment}')" : "");
            problems.Add(new ConfigProblem(file, where.Line, where.Column, $"unknown environment '{selected}': {hint}.{Suggestions.DidYouMean(selected, defined)}".TrimEnd()));
            return null;
        }
        return match is ConfigMapping overridesOf ? (ConfigMapping)Merge(rest, overridesOf.Without("environments", "environment")) : rest;
    }

    private static ConfigNode Merge(ConfigNode under, ConfigNode over)
    {
        if (under is ConfigMapping a && over is ConfigMapping b)
        {
            var entries = new List<KeyValuePair<ConfigScalar, ConfigNode>>();
            foreach (var (key, value) in a.Entries)
                entries.Add(b.Get(key.Value) is { } replacement ? new(key, Merge(value, replacement)) : new(key, value));
            entries.AddRange(b.Entries.Where(e => a.Get(e.Key.Value) is null));
            return a with { Entries = entries };
        }
        if (under is ConfigSequence x && over is ConfigSequence y && NamedItems(x) is { } xs && NamedItems(y) is { } ys)
        {
            var items = xs.Select(item => ys.FirstOrDefault(o => o.Name == item.Name) is { Node: { } o } ? Merge(item.Node, o) : item.Node).ToList();
            items.AddRange(ys.Where(o => !xs.Any(item => item.Name == o.Name)).Select(o => o.Node));
            return x with { Items = items };
        }
        return over;
    }

    private static List<(string Name, ConfigNode Node)>? NamedItems(ConfigSequence sequence)
    {
        var named = new List<(string, ConfigNode)>();
        foreach (var item in sequence.Items)
        {
            if (item is not ConfigMapping mapping || mapping.Get("name") is not ConfigScalar { IsNull: false } name) return null;
            named.Add((name.Value, item));
        }
        return named;
    }
}
