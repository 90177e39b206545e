using System.Text.RegularExpressions;
using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

/// <summary>Every config under examples/ loads and validates with the real loader and component catalog.</summary>
public sealed partial class ExampleConfigTests : IDisposable
{
    private readonly string _secrets = Path.Combine(Path.GetTempPath(), "cairn-examples-" + Guid.NewGuid().ToString("N")[..8]);

    public static TheoryData<string, string?, string> Examples() => new()
    {
        { "mesos-paas", null, "platform" },
        { "research-platform", null, "nightly" },
        { "research-platform", "test", "nightly" },
        { "research-platform", "prod", "nightly" },
        { "kubernetes-hosting", null, "hosting" },
        { "cluster-installer", null, "control-plane" },
        { "tiered-retention", null, "nightly" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void The_example_config_validates_and_names_its_job(string example, string? environment, string job)
    {
        var root = ConfigSchemaTests.RepositoryRoot();
        var text = File.ReadAllText(Path.Combine(root, "examples", example, "cairn.yaml"));
        Assert.True(File.Exists(Path.Combine(root, "examples", example, "README.md")), $"examples/{example} has no README.md");

        // The secrets live in /etc/cairn on a real host; here each named file is made in a temp dir with a dummy secret.
        Directory.CreateDirectory(_secrets);
        foreach (Match m in SecretFile().Matches(text)) File.WriteAllText(Path.Combine(_secrets, m.Groups[1].Value), "not-a-real-secret\n");
        var path = Path.Combine(_secrets, example + ".yaml");
        File.WriteAllText(path, text.Replace("/etc/cairn/", _secrets + "/", StringComparison.Ordinal));

        var config = ConfigLoader.Load(path, environment, new Dictionary<string, string?>());

        var definition = config.FindJob(job);
        Assert.NotNull(definition);
        Assert.NotEmpty(definition.Components);
        Assert.All(definition.Targets, t => Assert.True(config.Targets.ContainsKey(t)));
        Assert.Equal(environment ?? EnvironmentOf(text), config.Environment);
    }

    private static string EnvironmentOf(string text) => Regex.Match(text, @"^environment: (\S+)", RegexOptions.Multiline).Groups[1].Value;

    [GeneratedRegex(@"/etc/cairn/([A-Za-z0-9._-]+)")]
    private static partial Regex SecretFile();

    public void Dispose()
    {
        if (Directory.Exists(_secrets)) Directory.Delete(_secrets, recursive: true);
    }
}
