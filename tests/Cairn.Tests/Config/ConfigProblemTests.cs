using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

public sealed class ConfigProblemTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void An_unknown_key_suggests_the_closest_known_one()
    {
        var problems = _files.Problems("""
            targets:
              primary:
                repository: /r
                pasword_file: /p
            jobs: {j: {targets: [primary], components: [{name: c, type: files, paths: [/]}]}}
            """);
        Assert.Equal(["4:5: unknown key 'pasword_file' in targets.primary; did you mean 'password_file'?"], problems);
    }

    [Fact]
    public void An_unknown_key_with_nothing_close_lists_the_known_keys()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: /r}}
            jobs: {j: {targets: [t], components: [{name: c, type: files, paths: [/]}]}}
            zzz: daily
            """);
        Assert.Equal(["3:1: unknown key 'zzz' at the top level (known keys: instance, targets, jobs, notifications, daemon, environment, environments)"], problems);
    }

    [Fact]
    public void Wrong_types_say_what_was_expected()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: [a, b]}}
            jobs:
              j:
                targets: t
                components:
                  - name: c
                    type: testdb
                    host: h
                    databases: [app]
                    port: five
                    compress: maybe
                    format: tarball
                    timeout: soon
                    tls: /ca.pem
            """);
        Assert.Equal([
            "1:27: targets.t.repository: expected a string, got a list",
            "4:14: jobs.j.targets: expected a list, got 't'",
            "10:15: jobs.j.components.c.port: expected a number, got 'five'",
            "11:19: jobs.j.components.c.compress: expected true or false, got 'maybe'",
            "12:17: jobs.j.components.c.format: expected one of: custom, directory_tree, got 'tarball'",
            "13:18: jobs.j.components.c.timeout: expected a duration such as 30s, 5m, 2h or 1d, got 'soon'",
            "14:14: jobs.j.components.c.tls: expected a mapping of keys, got '/ca.pem'",
        ], problems);
    }

    [Fact]
    public void Missing_required_keys_and_options_point_at_their_mapping()
    {
        var problems = _files.Problems("""
            targets:
              t: {password: x}
            jobs:
              j:
                targets: [t]
                components:
                  - name: db
                    type: testdb
                    host: h
                    tls: {verify: true}
            """);
        Assert.Equal([
            "2:6: targets.t: missing required key 'repository'",
            "7:9: jobs.j.components.db: missing required option 'databases'",
            "10:14: jobs.j.components.db.tls: missing required key 'ca_file'",
        ], problems);
    }

    [Fact]
    public void A_job_naming_an_undefined_target_is_reported_at_the_name()
    {
        var problems = _files.Problems("""
            targets: {primary: {repository: /r}, offsite: {repository: /o}}
            jobs:
              j: {targets: [primary, ofsite, elsewhere], components: [{name: c, type: files, paths: [/]}]}
            """);
        Assert.Equal([
            "3:26: jobs.j.targets: undefined target 'ofsite'; did you mean 'offsite'?",
            "3:34: jobs.j.targets: undefined target 'elsewhere'; defined targets: primary, offsite",
        ], problems);
    }

    [Fact]
    public void An_unknown_component_type_suggests_a_known_one()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: /r}}
            jobs:
              j:
                targets: [t]
                components:
                  - {name: a, type: testbd, host: h}
                  - {name: b, type: mongo}
                  - {name: c}
            """);
        Assert.Equal([
            "6:25: unknown component type 'testbd'; did you mean 'testdb'?",
            "7:25: unknown component type 'mongo'; known types: testdb, files",
            "8:9: jobs.j.components.c: missing required key 'type' (one of: testdb, files)",
        ], problems);
    }

    [Fact]
    public void Component_names_are_unique_in_a_job_and_safe_as_directory_names()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: /r}}
            jobs:
              j:
                targets: [t]
                components:
                  - {name: etc, type: files, paths: [/etc]}
                  - {name: etc, type: files, paths: [/srv]}
                  - {name: ../up, type: files, paths: [/]}
                  - {name: .hidden, type: files, paths: [/]}
              "bad job": {targets: [t], components: [{name: c, type: files, paths: [/]}]}
            """);
        const string rule = "may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit (it names a directory in the snapshot)";
        Assert.Equal([
            "7:16: jobs.j.components: duplicate component name 'etc' (first at line 6); names must be unique within a job",
            "8:16: jobs.j.components[2]: component name '../up' " + rule,
            "9:16: jobs.j.components[3]: component name '.hidden' " + rule,
            "10:3: job name 'bad job' " + rule,
        ], problems);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_file_order()
    {
        var problems = _files.Problems("""
            targets:
              t: {repository: /r, pasword: x}
            jobs:
              j:
                targets: [u]
                components:
                  - {name: a, type: testdb, host: h, databases: [x], port: p}
                  - {name: a, type: files}
            """);
        Assert.Equal([
            "2:23: unknown key 'pasword' in targets.t; did you mean 'password'?",
            "5:15: jobs.j.targets: undefined target 'u'; did you mean 't'?",
            "7:64: jobs.j.components.a.port: expected a number, got 'p'",
            "8:9: jobs.j.components.a: missing required option 'paths'",
            "8:16: jobs.j.components: duplicate component name 'a' (first at line 7); names must be unique within a job",
        ], problems);
    }

    [Fact]
    public void Problems_print_as_file_line_column_message()
    {
        var error = Assert.Throws<ConfigException>(() => _files.Load("targets: {t: {}}\njobs: {}\n"));
        var file = Path.Combine(_files.Root, "cairn.yaml");
        Assert.Equal($"{file}:1:14: targets.t: missing required key 'repository'", error.Message);
        Assert.Equal(ExitCode.Usage, error.ExitCode);
    }

    [Fact]
    public void Yaml_syntax_errors_empty_files_and_duplicate_keys_are_problems_with_positions()
    {
        Assert.Equal(["1:1: the file is empty: it needs 'targets' and 'jobs' (see 'cairn config schema')"], _files.Problems("# nothing\n"));
        var syntax = Assert.Single(_files.Problems("targets:\n  t: {repository: /r}\n bad: [x\njobs: {}\n"));
        Assert.StartsWith("3:", syntax);
        Assert.Contains("YAML syntax", syntax);
        Assert.Equal(["2:9: YAML syntax: the file ends early: is a '{', '[' or quote not closed?"],
            _files.Problems("targets: {t: {repository: /r}\njobs: {}\n"));
        var duplicate = Assert.Single(_files.Problems("targets: {t: {repository: /r}}\njobs: {}\ntargets: {}\n"));
        Assert.StartsWith("3:1: YAML syntax: ", duplicate);
        Assert.Contains("targets", duplicate);
        Assert.Equal(["1:1: the file must be a mapping with 'targets' and 'jobs' at the top"], _files.Problems("- a\n- b\n"));
    }

    [Fact]
    public void Jobs_need_a_target_and_a_component()
    {
        var problems = _files.Problems("""
            targets: {t: {repository: /r}}
            jobs:
              j: {targets: [], components: []}
            """);
        Assert.Equal([
            "3:16: jobs.j.targets: a job needs at least one target",
            "3:32: jobs.j.components: a job needs at least one component",
        ], problems);
    }
}
