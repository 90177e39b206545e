using System.Text.Json.Nodes;
using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

public sealed class ConfigSchemaTests
{
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cairn.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (Cairn.slnx) above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_published_schema_matches_the_records()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "cairn.schema.json");
        var expected = ConfigSchema.Generate();
        if (Environment.GetEnvironmentVariable("CAIRN_UPDATE_SCHEMA") == "1") File.WriteAllText(path, expected);
        Assert.True(File.Exists(path) && File.ReadAllText(path) == expected,
            "docs/cairn.schema.json is stale: regenerate it with 'CAIRN_UPDATE_SCHEMA=1 dotnet test --filter The_published_schema_matches_the_records' " +
            "(or 'cairn config schema > docs/cairn.schema.json') and commit it");
    }

    [Fact]
    public void Each_component_type_gets_its_options_through_a_type_branch()
    {
        var schema = JsonNode.Parse(ConfigSchema.Generate(TestComponentTypes.All))!;
        var defs = schema["$defs"]!;
        var branches = defs["component"]!["allOf"]!.AsArray();
        Assert.Equal(2, branches.Count);
        Assert.Equal("testdb", branches[0]!["if"]!["properties"]!["type"]!["const"]!.GetValue<string>());
        Assert.Equal("#/$defs/component_testdb", branches[0]!["then"]!["$ref"]!.GetValue<string>());
        Assert.Equal(["testdb", "files"], defs["component"]!["properties"]!["type"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));

        var testdb = defs["component_testdb"]!;
        Assert.Equal("A test database.", testdb["description"]!.GetValue<string>());
        Assert.False(testdb["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(["host", "databases"], testdb["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        var properties = testdb["properties"]!.AsObject();
        Assert.Equal(
            ["name", "type", "host", "port", "max_bytes", "compress", "databases", "format", "timeout", "tls", "password", "password_file", "labels"],
            properties.Select(p => p.Key));
        Assert.Equal("Server host name.", properties["host"]!["description"]!.GetValue<string>());
        Assert.Equal(5432, properties["port"]!["default"]!.GetValue<int>());
        Assert.Equal("integer", properties["port"]!["anyOf"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("#/$defs/interpolated", properties["port"]!["anyOf"]![1]!["$ref"]!.GetValue<string>());
        Assert.Equal(["custom", "directory_tree"], properties["format"]!["anyOf"]![0]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("custom", properties["format"]!["default"]!.GetValue<string>());
        Assert.Equal("5m", properties["timeout"]!["default"]!.GetValue<string>());
        Assert.Equal("array", properties["databases"]!["type"]!.GetValue<string>());
        var tls = properties["tls"]!;
        Assert.Equal("Where to connect, over TLS.", tls["description"]!.GetValue<string>());
        Assert.Equal(["ca_file"], tls["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.False(tls["additionalProperties"]!.GetValue<bool>());
        // A secret: inline or from a file, never both.
        Assert.Equal(["password", "password_file"], testdb["allOf"]![0]!["not"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void The_top_level_lists_targets_jobs_and_environments_and_nothing_else()
    {
        var schema = JsonNode.Parse(ConfigSchema.Generate(TestComponentTypes.All))!;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema["$schema"]!.GetValue<string>());
        Assert.False(schema["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(["instance", "targets", "jobs", "notifications", "daemon", "environment", "environments"], schema["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["targets", "jobs"], schema["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        var target = schema["properties"]!["targets"]!["additionalProperties"]!;
        Assert.Equal(["repository", "password", "password_file", "password_command", "data_storage_class", "prune"], target["properties"]!.AsObject().Select(p => p.Key));
        var job = schema["properties"]!["jobs"]!["additionalProperties"]!;
        Assert.Equal(["targets", "components", "tags", "host", "schedule", "time_zone", "jitter", "max_duration", "rpo", "retention", "archive", "notify"], job["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal("#/$defs/component", job["properties"]!["components"]!["items"]!["$ref"]!.GetValue<string>());
        // Overrides: the same keys, nothing required, components merged by name.
        var overrides = schema["$defs"]!["overrides"]!;
        Assert.Null(overrides["required"]);
        var overrideJob = overrides["properties"]!["jobs"]!["additionalProperties"]!;
        Assert.Null(overrideJob["required"]);
        Assert.Equal("#/$defs/component_override", overrideJob["properties"]!["components"]!["items"]!["$ref"]!.GetValue<string>());
    }
}
