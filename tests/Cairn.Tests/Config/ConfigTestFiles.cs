using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

/// <summary>A temp directory for config files and the secrets they name; loads with the test component types.</summary>
internal sealed class ConfigTestFiles : IDisposable
{
    public ConfigTestFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "cairn-config-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public Dictionary<string, string?> Variables { get; } = new(StringComparer.Ordinal);

    public string Write(string name, string text)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public CairnConfig Load(string yaml, string? environment = null) =>
        ConfigLoader.Load(Write("cairn.yaml", yaml), environment, Variables, TestComponentTypes.All);

    /// <summary>The problems loading <paramref name="yaml"/> reports, as "line:col: message" (the file is always cairn.yaml).</summary>
    public List<string> Problems(string yaml, string? environment = null, IReadOnlyList<Cairn.Components.ComponentType>? types = null)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("cairn.yaml", yaml), environment, Variables, types ?? TestComponentTypes.All));
        Assert.All(error.Problems, p => Assert.Equal(Path.Combine(Root, "cairn.yaml"), p.File));
        Assert.Equal(ExitCode.Usage, error.ExitCode);
        return [.. error.Problems.Select(p => $"{p.Line}:{p.Column}: {p.Message}")];
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
