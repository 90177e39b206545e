using System.Text.RegularExpressions;
using Cairn.Tests.Cli;
using YamlDotNet.RepresentationModel;

namespace Cairn.Tests.Deploy;

/// <summary>cairn deploy kubernetes: the manifests are parsed back and checked for what Kubernetes requires.</summary>
public sealed partial class KubernetesCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    private void WriteConfig(string jobs) => File.WriteAllText(_cli.Env["CAIRN_CONFIG"] = Path.Combine(_cli.Root, "cairn.yaml"), $$"""
        instance: research
        targets:
          primary: {repository: /backup/repo, password: "${CAIRN_PASSWORD}"}
          offsite: {repository: /backup/offsite, password: "s3cr3t-inline"}
        daemon: {grace_period: 2m}
        jobs:
        {{jobs}}
        """);

    private const string Jobs = """
          platform:
            targets: [primary, offsite]
            schedule: "*/15 9-17 * * MON-FRI"
            time_zone: Europe/Berlin
            jitter: 10m
            max_duration: 6h
            components:
              - {name: k8s, type: command, command: [echo, hi]}
          "2024":
            targets: [primary]
            schedule: "@daily"
            components:
              - {name: k8s, type: command, command: [echo, hi]}
          This_Job.Has-A.Rather.Long.Name.That.Kubernetes.Will.Not.Take.As.It.Is:
            targets: [primary]
            schedule: "0 22-2 * * 5-1"
            components:
              - {name: k8s, type: command, command: [echo, hi]}
          manual:
            targets: [primary]
            components:
              - {name: k8s, type: command, command: [echo, hi]}
        """;

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step switch
            {
                string key => ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : throw new Xunit.Sdk.XunitException($"no '{key}' in {node}"),
                int index => ((YamlSequenceNode)node).Children[index],
                _ => throw new ArgumentException("path step", nameof(path)),
            };
        }
        return node;
    }

    private static string Text(YamlNode node, params object[] path) => ((YamlScalarNode)At(node, path)).Value!;

    [Fact]
    public async Task Every_scheduled_job_becomes_a_CronJob_with_the_fields_Kubernetes_requires_and_no_secret()
    {
        WriteConfig(Jobs);
        var run = await _cli.RunAsync(0, "deploy", "kubernetes", "--namespace", "backup", "--image", "registry.example.com/cairn:1.2.3");
        var documents = Parse(run.Stdout);
        Assert.Equal(3, documents.Count);
        foreach (var cronJob in documents)
        {
            Assert.Equal("batch/v1", Text(cronJob, "apiVersion"));
            Assert.Equal("CronJob", Text(cronJob, "kind"));
            var name = Text(cronJob, "metadata", "name");
            Assert.True(name.Length <= 52 && Dns1123Label().IsMatch(name), $"'{name}' is not a valid CronJob name");
            Assert.Equal("backup", Text(cronJob, "metadata", "namespace"));
            Assert.Equal(5, Text(cronJob, "spec", "schedule").Split(' ').Length);
            Assert.Equal("Forbid", Text(cronJob, "spec", "concurrencyPolicy"));
            Assert.Equal("3600", Text(cronJob, "spec", "startingDeadlineSeconds"));
            Assert.Equal("3", Text(cronJob, "spec", "successfulJobsHistoryLimit"));
            Assert.Equal("3", Text(cronJob, "spec", "failedJobsHistoryLimit"));
            var pod = At(cronJob, "spec", "jobTemplate", "spec", "template", "spec");
            Assert.Contains(Text(pod, "restartPolicy"), new[] { "Never", "OnFailure" });
            Assert.Equal("120", Text(pod, "terminationGracePeriodSeconds"));
            var container = At(pod, "containers", 0);
            Assert.Equal("cairn", Text(container, "name"));
            Assert.Equal("registry.example.com/cairn:1.2.3", Text(container, "image"));
            Assert.Equal("CAIRN_PASSWORD", Text(container, "env", 0, "name"));
            Assert.Equal(("cairn-password", "password"), (Text(container, "env", 0, "valueFrom", "secretKeyRef", "name"), Text(container, "env", 0, "valueFrom", "secretKeyRef", "key")));
            Assert.Equal(("config", "/etc/cairn"), (Text(container, "volumeMounts", 0, "name"), Text(container, "volumeMounts", 0, "mountPath")));
            Assert.Equal("cairn-config", Text(pod, "volumes", 0, "secret", "secretName"));
            var args = ((YamlSequenceNode)At(container, "args")).Children.Cast<YamlScalarNode>().Select(s => s.Value).ToList();
            Assert.Equal(["--config", "/etc/cairn/cairn.yaml", "job", "run"], args[..4]);
            Assert.Equal("0", Text(At(cronJob, "spec", "jobTemplate", "spec"), "backoffLimit"));
        }
        Assert.DoesNotContain("s3cr3t-inline", run.Stdout);
        Assert.DoesNotContain("manual", run.Stdout);

        var platform = documents[0];
        Assert.Equal("cairn-platform", Text(platform, "metadata", "name"));
        Assert.Equal("*/15 9-17 * * 1-5", Text(platform, "spec", "schedule"));
        Assert.Equal("Europe/Berlin", Text(platform, "spec", "timeZone"));
        Assert.Equal(((6 * 60 + 2 + 1) * 60).ToString(System.Globalization.CultureInfo.InvariantCulture), Text(platform, "spec", "jobTemplate", "spec", "activeDeadlineSeconds"));
        Assert.Contains("jitter", run.Stdout);

        // A job named like a number stays a string (quoted), and @daily is written out.
        var numeric = documents[1];
        Assert.Equal("0 0 * * *", Text(numeric, "spec", "schedule"));
        Assert.Equal("Etc/UTC", Text(numeric, "spec", "timeZone"));
        var last = (YamlScalarNode)At(numeric, "spec", "jobTemplate", "spec", "template", "spec", "containers", 0, "args", 4);
        Assert.Equal("2024", last.Value);
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, last.Style);
        Assert.False(((YamlMappingNode)At(numeric, "spec", "jobTemplate", "spec")).Children.ContainsKey(new YamlScalarNode("activeDeadlineSeconds")));

        // A long name with dots and capitals is cut to a valid one with a hash; wrapping ranges are unrolled for Kubernetes.
        var long_ = documents[2];
        Assert.StartsWith("cairn-this-job-has-a-rather-long-name-that-", Text(long_, "metadata", "name"));
        Assert.Matches("^.{36,43}-[0-9a-f]{8}$", Text(long_, "metadata", "name"));
        Assert.Equal("0 0-2,22-23 * * 0-1,5-6", Text(long_, "spec", "schedule"));
    }

    [Fact]
    public async Task Options_and_one_job()
    {
        WriteConfig(Jobs);
        var run = await _cli.RunAsync(0, "deploy", "kubernetes", "--job", "platform", "--config-secret", "my-config", "--password-secret", "my-pass",
            "--starting-deadline", "10m", "--backoff-limit", "2");
        var cronJob = Assert.Single(Parse(run.Stdout));
        Assert.False(((YamlMappingNode)At(cronJob, "metadata")).Children.ContainsKey(new YamlScalarNode("namespace")));
        Assert.Equal("600", Text(cronJob, "spec", "startingDeadlineSeconds"));
        Assert.Equal("2", Text(cronJob, "spec", "jobTemplate", "spec", "backoffLimit"));
        var pod = At(cronJob, "spec", "jobTemplate", "spec", "template", "spec");
        Assert.Equal("my-config", Text(pod, "volumes", 0, "secret", "secretName"));
        Assert.Equal("my-pass", Text(pod, "containers", 0, "env", 0, "valueFrom", "secretKeyRef", "name"));
        Assert.StartsWith("cairn:", Text(pod, "containers", 0, "image"));
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "deploy", "kubernetes", "--starting-deadline", "5s"), "at least 10s");
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "deploy", "kubernetes", "--job", "manual"), "job 'manual' has no schedule");
        CliHarness.AssertOneLine(await _cli.RunAsync(17, "deploy", "kubernetes", "--job", "nope"), "has no job 'nope'");
    }

    [Theory]
    [InlineData("0 30 2 * * *", "Kubernetes CronJobs have no seconds field")]
    [InlineData("0 0 L * *", "Kubernetes does not know L")]
    [InlineData("0 9 1 * 5", "restricts both the day of month and the day of week")]
    [InlineData("0 0 15W * *", "nearest-weekday")]
    public async Task Schedules_Kubernetes_cannot_run_as_cairn_would_are_refused_in_one_line(string schedule, string reason)
    {
        WriteConfig($$"""
              nightly:
                targets: [primary]
                schedule: "{{schedule}}"
                components:
                  - {name: k8s, type: command, command: [echo, hi]}
            """);
        var run = await _cli.RunAsync(2, "deploy", "kubernetes");
        CliHarness.AssertOneLine(run, $"job 'nightly': schedule '{schedule}': ");
        Assert.Contains(reason, run.Stderr);
        Assert.Empty(run.Stdout);
    }
}
