using Cairn.Components;

namespace Cairn.Orchestration.Config;

/// <summary>Finds and loads <c>cairn.yaml</c>: locating, parsing, environment overrides, interpolation, binding, checks.</summary>
public static class ConfigLoader
{
    /// <summary>Where a config is looked for when neither <c>--config</c> nor CAIRN_CONFIG names one.</summary>
    public const string SystemPath = "/etc/cairn/cairn.yaml";

    /// <summary>
    /// The config file to use: <paramref name="explicitPath"/> (<c>--config</c>), else CAIRN_CONFIG, else ./cairn.yaml in
    /// <paramref name="currentDirectory"/>, else <paramref name="systemPath"/>. A file named explicitly must exist.
    /// </summary>
    /// <exception cref="CairnException">No config file was found (exit code 2); the message says where it looked.</exception>
    public static string Locate(string? explicitPath, IReadOnlyDictionary<string, string?> environment, string currentDirectory,
        string systemPath = SystemPath)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return MustExist(Path.GetFullPath(explicitPath, currentDirectory), "--config");
        if (environment.TryGetValue("CAIRN_CONFIG", out var fromEnvironment) && !string.IsNullOrEmpty(fromEnvironment))
            return MustExist(Path.GetFullPath(fromEnvironment, currentDirectory), "$CAIRN_CONFIG");
        var local = Path.Combine(currentDirectory, "cairn.yaml");
        if (File.Exists(local)) return local;
        if (File.Exists(systemPath)) return systemPath;
        throw new CairnException(
            $"no config file: looked for {local} and {systemPath}; name one with --config FILE or $CAIRN_CONFIG", ExitCode.Usage);
    }

    private static string MustExist(string path, string source) =>
        File.Exists(path) ? path : throw new CairnException($"config file {path} (from {source}) does not exist", ExitCode.Usage);

    /// <summary>
    /// Loads and validates the file at <paramref name="path"/> for the environment <paramref name="environmentName"/>
    /// (else the file's own <c>environment:</c>), binding components to <paramref name="types"/> (default: every type
    /// this build has, <see cref="ComponentCatalog.All"/>).
    /// </summary>
    /// <exception cref="ConfigException">The file has problems: all of them, with line and column (exit code 2).</exception>
    /// <exception cref="CairnException">The file cannot be read (exit code 2).</exception>
    public static CairnConfig Load(string path, string? environmentName, IReadOnlyDictionary<string, string?> environmentVariables,
        IReadOnlyList<ComponentType>? types = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read config file {path}: {e.Message}", ExitCode.Usage, e);
        }
        return Parse(text, path, environmentName, environmentVariables, types ?? ComponentCatalog.All);
    }

    /// <summary>Loads config text as if read from <paramref name="path"/> (which names it in problems and anchors relative <c>*_file</c> paths).</summary>
    public static CairnConfig Parse(string text, string path, string? environmentName, IReadOnlyDictionary<string, string?> environmentVariables,
        IReadOnlyList<ComponentType> types)
    {
        var problems = new List<ConfigProblem>();
        var result = Bind(text, path, environmentName, environmentVariables, types, problems);
        if (problems.Count > 0)
            throw new ConfigException([.. problems.Distinct().OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        return result!;
    }

    private static CairnConfig? Bind(string text, string path, string? environmentName, IReadOnlyDictionary<string, string?> variables,
        IReadOnlyList<ComponentType> types, List<ConfigProblem> problems)
    {
        var document = ConfigNodeReader.Parse(text, path, problems);
        if (problems.Count > 0) return null;
        var binder = new ConfigBinder(path, variables, types, problems);
        if (document is null or ConfigScalar { IsNull: true })
        {
            problems.Add(new ConfigProblem(path, 1, 1, "the file is empty: it needs 'targets' and 'jobs' (see 'cairn config schema')"));
            return null;
        }
        if (document is not ConfigMapping root)
        {
            binder.Problem(document, "the file must be a mapping with 'targets' and 'jobs' at the top");
            return null;
        }
        string? fileEnvironment = root.Get("environment") is { } environmentNode
            ? binder.BindValue(typeof(string), true, environmentNode, "environment") as string : null;
        string? selected = string.IsNullOrEmpty(environmentName) ? fileEnvironment : environmentName;
        var merged = Environments.Select(root, selected, fileEnvironment, path, problems);
        if (merged is null) return null;
        var config = binder.BindRecord(typeof(CairnConfig), merged, "",
            new Dictionary<string, object?> { [nameof(CairnConfig.SourcePath)] = path, [nameof(CairnConfig.Environment)] = selected },
            skipKeys: ["environment", "environments"]) as CairnConfig;
        References.Check(merged, binder);
        NotificationChecks.Check(merged, binder, path);
        Schedules.Check(merged, binder);
        Retention.RetentionConfigCheck.Check(merged, binder);
        return config;
    }
}
