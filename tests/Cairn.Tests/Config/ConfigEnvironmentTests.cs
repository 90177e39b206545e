using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

public sealed class ConfigEnvironmentTests : IDisposable
{
    private const string File = """
        instance: research
        environment: dev
        targets:
          primary: {repository: /backup/dev, password: devpass}
        jobs:
          platform:
            targets: [primary]
            tags: [base]
            components:
              - {name: db, type: testdb, host: dev-db, port: 5432, databases: [app]}
              - {name: home, type: files, paths: [/home]}
        environments:
          dev: {}
          prod:
            instance: research-prod
            targets:
              primary: {repository: /backup/prod}
            jobs:
              platform:
                tags: [prod]
                components:
                  - {name: db, host: prod-db}
                  - {name: certs, type: files, paths: [/etc/acme.json]}
        """;

    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void The_files_own_environment_applies_when_none_is_selected()
    {
        var config = _files.Load(File);
        Assert.Equal("research", config.Instance);
        Assert.Equal("dev", config.Environment);
        Assert.Equal("/backup/dev", config.Targets["primary"].Repository);
        Assert.Equal("dev-db", ((TestDbOptions)config.Jobs[0].Components[0].Options).Host);
    }

    [Fact]
    public void A_selected_environment_is_deep_merged_over_the_root()
    {
        var config = _files.Load(File, "prod");
        Assert.Equal("research-prod", config.Instance);
        Assert.Equal("prod", config.Environment);
        var primary = config.Targets["primary"];
        Assert.Equal("/backup/prod", primary.Repository);
        Assert.Equal("devpass", primary.Password); // mappings merge key by key
        var job = config.Jobs[0];
        Assert.Equal(["prod"], job.Tags); // plain lists are replaced
        Assert.Equal(["db", "home", "certs"], job.Components.Select(c => c.Name)); // named items merge by name
        var db = (TestDbOptions)job.Components[0].Options;
        Assert.Equal("prod-db", db.Host);
        Assert.Equal(["app"], db.Databases);
    }

    [Fact]
    public void An_unknown_environment_lists_the_defined_ones()
    {
        Assert.Equal(["12:1: unknown environment 'production': defined: dev, prod."], _files.Problems(File, "production"));
        Assert.Equal(["12:1: unknown environment 'prd': defined: dev, prod. did you mean 'prod'?"], _files.Problems(File, "prd"));
        var noEnvironments = "environment: dev\ntargets: {t: {repository: /r}}\njobs: {j: {targets: [t], components: [{name: c, type: files, paths: [/]}]}}\n";
        Assert.Equal("dev", _files.Load(noEnvironments, "dev").Environment);
        Assert.Equal(["1:14: unknown environment 'prod': the file defines only its own environment 'dev'."], _files.Problems(noEnvironments, "prod"));
    }

    [Fact]
    public void Problems_in_overrides_point_into_the_environments_section()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: /r}}
            jobs: {j: {targets: [t], components: [{name: c, type: testdb, host: h, databases: []}]}}
            environments:
              prod:
                environment: x
                jobs: {j: {components: [{name: c, port: high}]}}
            """, "prod");
        Assert.Equal([
            "5:5: environments.prod: 'environment' cannot be overridden per environment",
            "6:45: jobs.j.components.c.port: expected a number, got 'high'",
        ], problems);
    }

    [Fact]
    public void Merge_keys_share_options_between_components()
    {
        var config = _files.Load("""
            targets: {t: {repository: /r}}
            jobs:
              j:
                targets: [t]
                components:
                  - &db {name: one, type: testdb, host: shared, databases: [a]}
                  - {<<: *db, name: two, host: other}
            """);
        var two = config.Jobs[0].Components[1];
        Assert.Equal("two", two.Name);
        Assert.Equal("other", ((TestDbOptions)two.Options).Host);
        Assert.Equal(["a"], ((TestDbOptions)two.Options).Databases);
    }
}
