using Cairn.Orchestration.Metrics;

namespace Cairn.Tests.Cli;

/// <summary>cairn job run --metrics-file: the node_exporter textfile after good, failed and unopenable runs.</summary>
public sealed class JobMetricsFileCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static double? Value(string path, string name, string job)
    {
        var match = MetricsTextfile.Parse(File.ReadAllText(path))
            .Where(s => s.Name == name && s.Labels.GetValueOrDefault("job_name") == job && s.Labels.GetValueOrDefault("instance_name") == "research").ToList();
        return match.Count == 0 ? null : Assert.Single(match).Value;
    }

    [Fact]
    public async Task Job_run_records_success_failure_and_an_unopenable_target_in_the_textfile()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        var fail = Path.Combine(_cli.Root, "fail");
        var config = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(config, $$$"""
            instance: research
            targets:
              primary: {repository: {{{_cli.Repo}}}, password: {{{CliHarness.Password}}}}
              lost: {repository: {{{Path.Combine(_cli.Root, "no-such-repo")}}}, password: x}
            jobs:
              platform:
                targets: [primary]
                rpo: 26h
                components:
                  - {name: etc, type: files, paths: [{{{src}}}]}
                  - {name: dump, type: command, command: [sh, -c, "if [ -e '{{{fail}}}' ]; then echo 'pg_dump: error: connection refused' >&2; exit 1; fi; echo ok"]}
              elsewhere:
                targets: [lost]
                components: [{name: etc, type: files, paths: [{{{src}}}]}]
            """);
        _cli.Env["CAIRN_CONFIG"] = config;
        var textfile = Path.Combine(_cli.Root, "textfile", "cairn.prom");
        Directory.CreateDirectory(Path.GetDirectoryName(textfile)!);

        await _cli.RunAsync(0, "job", "run", "platform", "--metrics-file", textfile);
        var success = Value(textfile, CairnMetrics.LastSuccess, "platform");
        Assert.NotNull(success);
        Assert.Equal(1, Value(textfile, CairnMetrics.LastRunSuccess, "platform"));
        Assert.Equal(0, Value(textfile, CairnMetrics.Failures, "platform"));
        Assert.Equal(26 * 3600, Value(textfile, CairnMetrics.Rpo, "platform"));
        Assert.True(Value(textfile, CairnMetrics.LastFiles, "platform") > 0);
        Assert.True(Value(textfile, CairnMetrics.LastReadBytes, "platform") > 0);

        File.WriteAllText(fail, "");
        await _cli.RunAsync(21, "job", "run", "platform", "--metrics-file", textfile);
        Assert.Equal(0, Value(textfile, CairnMetrics.LastRunSuccess, "platform"));
        Assert.Equal(1, Value(textfile, CairnMetrics.Failures, "platform"));
        Assert.Equal(success, Value(textfile, CairnMetrics.LastSuccess, "platform"));

        // The run ends with an error before it has a result; the textfile still counts it, and keeps platform's values.
        var lost = await _cli.RunAsync("job", "run", "elsewhere", "--metrics-file", textfile);
        Assert.NotEqual(0, lost.ExitCode);
        Assert.Equal(1, Value(textfile, CairnMetrics.Failures, "elsewhere"));
        Assert.Equal(0, Value(textfile, CairnMetrics.LastRunSuccess, "elsewhere"));
        Assert.Null(Value(textfile, CairnMetrics.LastSuccess, "elsewhere"));
        Assert.Equal(1, Value(textfile, CairnMetrics.Failures, "platform"));
        // Without an environment in the config, the label is there and empty (every series has the same label names).
        Assert.Contains("""cairn_job_running{job_name="elsewhere",instance_name="research",environment=""} 0""", File.ReadAllText(textfile), StringComparison.Ordinal);
    }
}
