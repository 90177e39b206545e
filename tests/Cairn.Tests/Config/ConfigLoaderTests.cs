using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void The_issue_shape_loads_with_targets_jobs_and_typed_options()
    {
        _files.Write("primary.pass", "s3cret\n");
        _files.Write("pg.pass", "pg-pass\r\nsecond line\n");
        var config = _files.Load($$"""
            targets:
              primary: {repository: /srv/backup/repo, password_file: {{_files.Root}}/primary.pass}
            jobs:
              platform:
                targets: [primary]
                tags: [nightly, platform]
                host: db1
                components:
                  - {name: db, type: testdb, host: 127.0.0.1, port: 5433, password_file: pg.pass, databases: [app]}
                  - {name: etc, type: files, paths: [/etc/haproxy]}
            """);
        var target = Assert.Single(config.Targets).Value;
        Assert.Equal("primary", target.Name);
        Assert.Equal("/srv/backup/repo", target.Repository);
        Assert.Equal("s3cret", target.Password);
        var job = Assert.Single(config.Jobs);
        Assert.Same(job, config.FindJob("platform"));
        Assert.Equal(["primary"], job.Targets);
        Assert.Equal(["nightly", "platform"], job.Tags);
        Assert.Equal("db1", job.Host);
        Assert.Equal(["db", "etc"], job.Components.Select(c => c.Name));
        var db = Assert.IsType<TestDbOptions>(job.Components[0].Options);
        Assert.Equal("testdb", job.Components[0].Type.Name);
        Assert.Equal("127.0.0.1", db.Host);
        Assert.Equal(5433, db.Port);
        Assert.Equal("pg-pass", db.Password); // first line, relative to the config file's directory
        Assert.Equal(["app"], db.Databases);
        Assert.Equal(["/etc/haproxy"], Assert.IsType<TestFilesOptions>(job.Components[1].Options).Paths);
        Assert.IsType<InertComponent>(job.Components[1].Create());
        Assert.Null(config.Instance);
        Assert.Null(config.Environment);
        Assert.Equal(Path.Combine(_files.Root, "cairn.yaml"), config.SourcePath);
    }

    [Fact]
    public void Every_supported_option_type_binds_and_unset_options_keep_their_defaults()
    {
        var config = _files.Load("""
            targets: {t: {repository: /r}}
            jobs:
              j:
                targets: [t]
                components:
                  - name: all
                    type: testdb
                    host: h
                    max_bytes: 10000000000
                    compress: true
                    databases: [a, b]
                    format: directory_tree
                    timeout: 1h30m
                    tls: {ca_file: /ca.pem, verify: false}
                    labels: {team: ops, tier: "1"}
                  - {name: defaults, type: testdb, host: h, databases: []}
            """);
        var all = (TestDbOptions)config.Jobs[0].Components[0].Options;
        Assert.Equal(10_000_000_000L, all.MaxBytes);
        Assert.True(all.Compress);
        Assert.Equal(["a", "b"], all.Databases);
        Assert.Equal(TestFormat.DirectoryTree, all.Format);
        Assert.Equal(TimeSpan.FromMinutes(90), all.Timeout);
        Assert.Equal(new TestTls { CaFile = "/ca.pem", Verify = false }, all.Tls);
        Assert.Equal("ops", all.Labels["team"]);
        Assert.Equal("1", all.Labels["tier"]);
        var defaults = (TestDbOptions)config.Jobs[0].Components[1].Options;
        Assert.Equal(5432, defaults.Port);
        Assert.Equal(TestFormat.Custom, defaults.Format);
        Assert.Equal(TimeSpan.FromMinutes(5), defaults.Timeout);
        Assert.Null(defaults.Tls);
        Assert.Null(defaults.Password);
        Assert.Empty(defaults.Databases);
        Assert.Empty(config.Jobs[0].Tags);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("45", 45)]
    public void Durations_take_seconds_minutes_hours_and_days(string text, int seconds)
    {
        var config = _files.Load($"targets: {{t: {{repository: /r}}}}\njobs: {{j: {{targets: [t], components: [{{name: c, type: testdb, host: h, databases: [], timeout: {text}}}]}}}}\n");
        Assert.Equal(TimeSpan.FromSeconds(seconds), ((TestDbOptions)config.Jobs[0].Components[0].Options).Timeout);
    }

    [Fact]
    public void Variables_are_interpolated_with_defaults_and_dollar_escapes()
    {
        _files.Variables["REPO"] = "/srv/repo";
        _files.Variables["PORT"] = "6543";
        _files.Variables["EMPTY"] = "";
        var config = _files.Load("""
            targets:
              t: {repository: "${REPO}/main", password: "pa$$word and $5"}
            jobs:
              j:
                targets: [t]
                host: ${HOSTNAME_UNSET:-fallback}
                tags: ["${EMPTY:-was-empty}", "x${EMPTY}y"]
                components:
                  - {name: c, type: testdb, host: h, port: "${PORT}", databases: []}
            """);
        Assert.Equal("/srv/repo/main", config.Targets["t"].Repository);
        Assert.Equal("pa$word and $5", config.Targets["t"].Password);
        Assert.Equal("fallback", config.Jobs[0].Host);
        Assert.Equal(["was-empty", "xy"], config.Jobs[0].Tags);
        Assert.Equal(6543, ((TestDbOptions)config.Jobs[0].Components[0].Options).Port);
    }

    [Fact]
    public void Unset_variables_are_each_reported_where_they_are_written()
    {
        var problems = _files.Problems("""
            targets:
              t:
                repository: /srv/${REPO_DIR}
                password: "${PASS}"
            jobs: {j: {targets: [t], components: [{name: c, type: files, paths: ["${A:-/a}", "x${UNSET_B}"]}]}}
            """);
        Assert.Equal([
            "3:22: environment variable REPO_DIR is not set (give a default with ${REPO_DIR:-value})",
            "4:16: environment variable PASS is not set (give a default with ${PASS:-value})",
            "5:84: environment variable UNSET_B is not set (give a default with ${UNSET_B:-value})",
        ], problems);
    }

    [Fact]
    public void Unclosed_or_invalid_interpolation_is_a_problem()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: "/r/${OPEN", password: "${1BAD}"}}
            jobs: {j: {targets: [t], components: [{name: c, type: files, paths: [/]}]}}
            """);
        Assert.Equal([
            "1:31: '${' is not closed by '}' (write '$$' for a literal '$')",
            "1:51: '${1BAD}' does not name a variable (letters, digits and '_'; write '$$' for a literal '$')",
        ], problems);
    }

    [Fact]
    public void Secrets_accept_the_value_or_a_file_but_not_both_and_report_unreadable_files()
    {
        var problems = _files.Problems("""
            targets:
              t: {repository: /r, password: x, password_file: /p}
              u: {repository: /r, password_file: /nonexistent/secret.pass}
            jobs: {j: {targets: [t], components: [{name: c, type: files, paths: [/]}]}}
            """);
        Assert.Equal(2, problems.Count);
        Assert.Equal("2:36: targets.t: give either 'password' or 'password_file', not both", problems[0]);
        Assert.StartsWith("3:38: targets.u.password_file: cannot read '/nonexistent/secret.pass': ", problems[1]);
    }

    [Fact]
    public void A_required_secret_is_satisfied_by_its_file_form()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: /r}}
            jobs: {j: {targets: [t], components: [{name: c, type: secretive}]}}
            """, types: [new("secretive", typeof(SecretOptions), (n, _) => new InertComponent(n), "needs a token")]);
        Assert.Equal(["2:39: jobs.j.components.c: missing required option 'token' (or 'token_file')"], problems);
        _files.Write("token", "abc\n");
        var config = ConfigLoader.Load(_files.Write("cairn.yaml", """
            targets: {t: {repository: /r}}
            jobs: {j: {targets: [t], components: [{name: c, type: secretive, token_file: token}]}}
            """), null, _files.Variables, [new("secretive", typeof(SecretOptions), (n, _) => new InertComponent(n), "needs a token")]);
        Assert.Equal("abc", ((SecretOptions)config.Jobs[0].Components[0].Options).Token);
    }

    private sealed record SecretOptions : Cairn.Components.ComponentOptions
    {
        [Cairn.Components.Secret] public required string Token { get; init; }
    }
}
