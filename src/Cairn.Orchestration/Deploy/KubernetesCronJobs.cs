using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cairn.Orchestration.Config;
using YamlDotNet.Serialization;

namespace Cairn.Orchestration.Deploy;

/// <summary>What the CronJob manifests refer to: the image, namespace, the Secrets and the Job's limits.</summary>
public sealed record KubernetesOptions
{
    /// <summary>The container image, whose entrypoint is cairn (the repository's Dockerfile builds one).</summary>
    public required string Image { get; init; }

    /// <summary>The namespace; null leaves it to kubectl's context.</summary>
    public string? Namespace { get; init; }

    /// <summary>The Secret holding the config file under the key <c>cairn.yaml</c>, mounted read-only at /etc/cairn.</summary>
    public string ConfigSecret { get; init; } = "cairn-config";

    /// <summary>The Secret whose key <c>password</c> becomes CAIRN_PASSWORD (the config refers to it as ${CAIRN_PASSWORD}).</summary>
    public string PasswordSecret { get; init; } = "cairn-password";

    /// <summary>The environment whose overrides apply (passed as --environment), or null.</summary>
    public string? Environment { get; init; }

    /// <summary>How late a missed start may still happen (startingDeadlineSeconds).</summary>
    public TimeSpan StartingDeadline { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Retries of a failed run (backoffLimit); 0: a failed backup waits for its next slot and alerts.</summary>
    public int BackoffLimit { get; init; }

    /// <summary>How long a stopping run may take to checkpoint (terminationGracePeriodSeconds).</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Prints Kubernetes CronJob manifests (batch/v1) for scheduled jobs: the schedule as standard 5-field cron, the time
/// zone, concurrencyPolicy Forbid (never two runs of a job at once), the config mounted from a Secret and the password
/// from another, a non-root read-only container, and activeDeadlineSeconds from max_duration.
/// </summary>
public static class KubernetesCronJobs
{
    /// <summary>Kubernetes appends 11 characters to a CronJob's name for its Jobs, which must stay within 63.</summary>
    public const int MaxNameLength = 52;

    /// <summary>The uid and gid the Dockerfile's image runs as.</summary>
    public const int ImageUser = 10001;

    /// <summary>The manifests of <paramref name="jobs"/> (each with a schedule), as one multi-document YAML stream.</summary>
    public static string Render(IEnumerable<JobDefinition> jobs, KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(options);
        // Quoting what would otherwise read as a number or boolean: args, names and images must stay strings.
        var serializer = new SerializerBuilder().DisableAliases().WithQuotingNecessaryStrings().Build();
        var text = new StringBuilder();
        foreach (var job in jobs)
        {
            var schedule = Schedule(job);
            if (job.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
                throw new CairnException($"job '{job.Name}': time zone '{zone}' is not known (an IANA name such as Europe/Berlin is expected)", ExitCode.Usage);
            text.AppendLine("---");
            text.AppendLine(CultureInfo.InvariantCulture, $"# cairn job '{job.Name}': schedule '{job.Schedule!.Trim()}' in {job.TimeZone ?? "UTC"}");
            if (job.Jitter is { } jitter && jitter > TimeSpan.Zero)
                text.AppendLine(CultureInfo.InvariantCulture, $"# its jitter ({jitter}) has no CronJob equivalent and is left out");
            text.Append(serializer.Serialize(CronJob(job, schedule, options)));
        }
        return text.ToString();
    }

    /// <summary>
    /// A valid CronJob name for a job: "cairn-" and the job's name in lowercase DNS-1123 form, at most 52 characters
    /// (a long one is cut and given a hash of the full name, so two jobs never share a name).
    /// </summary>
    public static string Name(string job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var name = new StringBuilder("cairn-");
        foreach (var c in job.ToLowerInvariant()) name.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        var text = name.ToString().TrimEnd('-');
        while (text.Contains("--", StringComparison.Ordinal)) text = text.Replace("--", "-", StringComparison.Ordinal);
        if (text.Length <= MaxNameLength && text == "cairn-" + job) return text;
        // Names changed by the mapping get a hash too, so "a.b" and "a_b" stay distinct.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(job)))[..8];
        return text[..Math.Min(text.Length, MaxNameLength - 9)].TrimEnd('-') + "-" + hash;
    }

    /// <summary>
    /// The job's schedule as Kubernetes reads it (standard 5-field cron, numbers only, no wrapping ranges). A schedule
    /// Kubernetes cannot run, or would run at other times than cairn daemon, is a one-line <see cref="CairnException"/>.
    /// </summary>
    public static string Schedule(JobDefinition job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var schedule = job.Schedule ?? throw new CairnException($"job '{job.Name}' has no schedule", ExitCode.Usage);
        string Refuse(string problem) => throw new CairnException($"job '{job.Name}': schedule '{schedule.Trim()}': {problem}", ExitCode.Usage);
        CronFields cron;
        try
        {
            cron = CronFields.Parse(schedule);
        }
        catch (CairnException e)
        {
            throw new CairnException($"job '{job.Name}': {e.Message}", ExitCode.Usage, e);
        }
        if (cron.HasSeconds) Refuse("Kubernetes CronJobs have no seconds field; write the schedule with 5 fields (minute hour day month weekday)");
        if (cron.FromMonthEnd is not null || cron.NthWeekday is not null || cron.LastWeekday) Refuse("Kubernetes does not know L, n#k or nL");
        if (cron.Days.Count < 31 && cron.Weekdays.Count < 7)
            Refuse("it restricts both the day of month and the day of week, which Kubernetes reads as either (cairn daemon as both); make one of them '*'");
        return string.Join(' ', Field(cron.Minutes, 0, 59), Field(cron.Hours, 0, 23), Field(cron.Days, 1, 31), Field(cron.Months, 1, 12), Field(cron.Weekdays, 0, 6));
    }

    private static string Field(IReadOnlyList<int> values, int min, int max)
    {
        if (values.Count == max - min + 1) return "*";
        if (CronFields.Progression(values, max) is { } step) return (values[0] == min ? "*" : $"{values[0]}-{max}") + "/" + step.ToString(CultureInfo.InvariantCulture);
        return string.Join(',', CronFields.Runs(values).Select(r => r.From == r.To ? r.From.ToString(CultureInfo.InvariantCulture) : $"{r.From}-{r.To}"));
    }

    private static Dictionary<string, object> CronJob(JobDefinition job, string schedule, KubernetesOptions options)
    {
        var name = Name(job.Name);
        var labels = new Dictionary<string, object>
        {
            ["app.kubernetes.io/name"] = "cairn",
            ["app.kubernetes.io/component"] = "backup",
            ["app.kubernetes.io/instance"] = name,
        };
        var metadata = new Dictionary<string, object> { ["name"] = name };
        if (options.Namespace is { } ns) metadata["namespace"] = ns;
        metadata["labels"] = labels;
        List<object> args = ["--config", "/etc/cairn/cairn.yaml"];
        if (options.Environment is { } environment) args.AddRange(["--environment", environment]);
        args.AddRange(["job", "run", job.Name]);
        var container = new Dictionary<string, object>
        {
            ["name"] = "cairn",
            ["image"] = options.Image,
            ["args"] = args,
            ["env"] = new List<object>
            {
                new Dictionary<string, object>
                {
                    ["name"] = "CAIRN_PASSWORD",
                    ["valueFrom"] = new Dictionary<string, object> { ["secretKeyRef"] = new Dictionary<string, object> { ["name"] = options.PasswordSecret, ["key"] = "password" } },
                },
                new Dictionary<string, object> { ["name"] = "HOME", ["value"] = "/tmp" },
            },
            ["securityContext"] = new Dictionary<string, object>
            {
                ["allowPrivilegeEscalation"] = false,
                ["readOnlyRootFilesystem"] = true,
                ["capabilities"] = new Dictionary<string, object> { ["drop"] = new List<object> { "ALL" } },
            },
            ["volumeMounts"] = new List<object>
            {
                new Dictionary<string, object> { ["name"] = "config", ["mountPath"] = "/etc/cairn", ["readOnly"] = true },
                new Dictionary<string, object> { ["name"] = "tmp", ["mountPath"] = "/tmp" },
            },
        };
        var pod = new Dictionary<string, object>
        {
            ["restartPolicy"] = "Never",
            ["terminationGracePeriodSeconds"] = Seconds(options.GracePeriod),
            ["securityContext"] = new Dictionary<string, object> { ["runAsNonRoot"] = true, ["runAsUser"] = ImageUser, ["runAsGroup"] = ImageUser, ["fsGroup"] = ImageUser },
            ["containers"] = new List<object> { container },
            ["volumes"] = new List<object>
            {
                // 0440: readable by the image's group (fsGroup), by nobody else.
                new Dictionary<string, object> { ["name"] = "config", ["secret"] = new Dictionary<string, object> { ["secretName"] = options.ConfigSecret, ["defaultMode"] = 288 } },
                new Dictionary<string, object> { ["name"] = "tmp", ["emptyDir"] = new Dictionary<string, object>() },
            },
        };
        var jobSpec = new Dictionary<string, object> { ["backoffLimit"] = options.BackoffLimit };
        if (job.MaxDuration is { } max) jobSpec["activeDeadlineSeconds"] = Seconds(max + options.GracePeriod + TimeSpan.FromMinutes(1));
        jobSpec["template"] = new Dictionary<string, object> { ["metadata"] = new Dictionary<string, object> { ["labels"] = labels }, ["spec"] = pod };
        var spec = new Dictionary<string, object>
        {
            ["schedule"] = schedule,
            ["timeZone"] = job.TimeZone ?? "Etc/UTC",
            ["concurrencyPolicy"] = "Forbid",
            ["startingDeadlineSeconds"] = Seconds(options.StartingDeadline),
            ["successfulJobsHistoryLimit"] = 3,
            ["failedJobsHistoryLimit"] = 3,
            ["jobTemplate"] = new Dictionary<string, object> { ["spec"] = jobSpec },
        };
        return new Dictionary<string, object> { ["apiVersion"] = "batch/v1", ["kind"] = "CronJob", ["metadata"] = metadata, ["spec"] = spec };
    }

    private static long Seconds(TimeSpan span) => (long)Math.Ceiling(span.TotalSeconds);
}
