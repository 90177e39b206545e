using Cairn.Orchestration.Config;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Config;

public sealed class ConfigCliTests : IDisposable
{
    private const string Good = """
        instance: research
        targets:
          primary: {repository: /srv/backup, password: x}
          offsite: {repository: /mnt/offsite, password: y}
        jobs:
          platform:
            targets: [primary, offsite]
            components:
              - {name: db, type: testdb, host: h, databases: [app]}
              - {name: etc, type: files, paths: [/etc]}
          homes:
            targets: [offsite]
            components:
              - {name: home, type: files, paths: [/home]}
        environments:
          prod: {instance: research-prod}
        """;

    private readonly CliHarness _cli = new() { ComponentTypes = TestComponentTypes.All };

    public void Dispose() => Directory.Delete(_cli.Root, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Validate_prints_the_counts_for_a_good_file()
    {
        var path = Write(Good);
        var result = await _cli.RunAsync(0, "--config", path, "config", "validate");
        Assert.Equal("ok: 2 jobs, 2 targets, 3 components\n", result.Stdout);
        var json = (await _cli.RunAsync(0, "--config", path, "--environment", "prod", "config", "validate", "--json")).Json;
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("research-prod", json.GetProperty("instance").GetString());
        Assert.Equal("prod", json.GetProperty("environment").GetString());
        Assert.Equal(3, json.GetProperty("components").GetInt32());
    }

    [Fact]
    public async Task Validate_prints_every_problem_with_its_position_and_exits_2()
    {
        var path = Write("""
            targets:
              primary: {repository: /r, pasword_file: /p}
            jobs:
              j: {targets: [secondary], components: [{name: c, type: testdb, host: h, databases: [a], port: x}]}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
        var result = await _cli.RunAsync(2, "config", "validate");
        Assert.Equal(
            $"{path}:2:29: unknown key 'pasword_file' in targets.primary; did you mean 'password_file'?\n" +
            $"{path}:4:17: jobs.j.targets: undefined target 'secondary'; defined targets: primary\n" +
            $"{path}:4:97: jobs.j.components.c.port: expected a number, got 'x'\n", result.Stdout);
        Assert.Equal("cairn: 3 problems in the config file\n", result.Stderr);
        var json = (await _cli.RunAsync(2, "config", "validate", "--json")).Json;
        Assert.False(json.GetProperty("ok").GetBoolean());
        var first = json.GetProperty("problems")[0];
        Assert.Equal(path, first.GetProperty("file").GetString());
        Assert.Equal(2, first.GetProperty("line").GetInt32());
        Assert.Equal(29, first.GetProperty("column").GetInt32());
    }

    [Fact]
    public async Task Other_commands_print_every_problem_on_stderr()
    {
        _cli.Env["CAIRN_CONFIG"] = Write("targets: {t: {}}\njobs: {j: {targets: [u], components: [{name: c, type: files, paths: [/]}]}}\n");
        var result = await _cli.RunAsync(2, "job", "list");
        Assert.Equal(
            $"cairn: {_cli.Root}/cairn.yaml:1:14: targets.t: missing required key 'repository'\n" +
            $"cairn: {_cli.Root}/cairn.yaml:2:22: jobs.j.targets: undefined target 'u'; did you mean 't'?\n", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task A_missing_config_is_one_line_with_exit_2()
    {
        _cli.Env["CAIRN_CONFIG"] = Path.Combine(_cli.Root, "none.yaml");
        var result = await _cli.RunAsync(2, "config", "validate");
        CliHarness.AssertOneLine(result, $"config file {_cli.Root}/none.yaml (from $CAIRN_CONFIG) does not exist");
    }

    [Fact]
    public async Task The_environment_comes_from_CAIRN_ENVIRONMENT_unless_the_option_names_one()
    {
        _cli.Env["CAIRN_CONFIG"] = Write(Good);
        _cli.Env["CAIRN_ENVIRONMENT"] = "prod";
        Assert.Equal("research-prod", (await _cli.RunAsync(0, "config", "validate", "--json")).Json.GetProperty("instance").GetString());
        var result = await _cli.RunAsync(2, "--environment", "staging", "config", "validate");
        Assert.Equal($"{_cli.Root}/cairn.yaml:15:1: unknown environment 'staging': defined: prod.\n", result.Stdout);
    }

    [Fact]
    public async Task Job_list_shows_jobs_targets_and_components()
    {
        _cli.Env["CAIRN_CONFIG"] = Write(Good);
        var table = await _cli.RunAsync(0, "job", "list");
        Assert.Equal("""
            Job       Targets           Component  Type
            ---------------------------------------------
            platform  primary, offsite  db         testdb
                                        etc        files
            homes     offsite           home       files
            ---------------------------------------------
            instance research, environment -

            """, table.Stdout);
        var json = (await _cli.RunAsync(0, "job", "list", "--json")).Json;
        Assert.Equal("research", json.GetProperty("instance").GetString());
        var platform = json.GetProperty("jobs")[0];
        Assert.Equal("platform", platform.GetProperty("name").GetString());
        Assert.Equal(["primary", "offsite"], platform.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("testdb", platform.GetProperty("components")[0].GetProperty("type").GetString());
        Assert.Equal("etc", platform.GetProperty("components")[1].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Schema_prints_the_generated_schema_without_a_config_file()
    {
        _cli.Env["CAIRN_CONFIG"] = Path.Combine(_cli.Root, "none.yaml");
        var result = await _cli.RunAsync(0, "config", "schema");
        Assert.Equal(ConfigSchema.Generate(TestComponentTypes.All), result.Stdout);
        Assert.Contains("component_testdb", result.Stdout);
    }
}
