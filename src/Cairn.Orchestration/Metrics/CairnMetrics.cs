using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;
using Prometheus;

namespace Cairn.Orchestration.Metrics;

/// <summary>
/// Layer 6: the Prometheus metrics of a config's jobs, per job, instance and environment, in a registry of their own
/// (no process metrics, so a node_exporter textfile never collides with node_exporter's own). Fed by
/// <see cref="Observe"/> with the same <see cref="JobEvent"/>s the notifications get, and by the setters for what
/// events do not carry (running state, each target's snapshots and size, RPO).
/// </summary>
/// <remarks>
/// The labels are <c>job_name</c>, <c>instance_name</c> and <c>environment</c>, not <c>job</c> and <c>instance</c>:
/// Prometheus sets those two on every scraped series itself, and would rename ours to <c>exported_job</c>.
/// </remarks>
public sealed class CairnMetrics
{
    /// <summary>Every metric name this class exports, for docs and tests.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        LastRun, LastSuccess, LastRunSuccess, LastDuration, LastReadBytes, LastAddedBytes, LastFiles,
        Failures, Running, Rpo, Snapshots, RepositorySize,
    ];

    /// <summary>Metric name: when the last run ended (Unix seconds).</summary>
    public const string LastRun = "cairn_job_last_run_timestamp_seconds";
    /// <summary>Metric name: when the last successful run ended (Unix seconds).</summary>
    public const string LastSuccess = "cairn_job_last_success_timestamp_seconds";
    /// <summary>Metric name: 1 when the last run succeeded, 0 when it failed or stopped incomplete.</summary>
    public const string LastRunSuccess = "cairn_job_last_run_success";
    /// <summary>Metric name: how long the last run took.</summary>
    public const string LastDuration = "cairn_job_last_run_duration_seconds";
    /// <summary>Metric name: bytes the last run read from its sources.</summary>
    public const string LastReadBytes = "cairn_job_last_run_read_bytes";
    /// <summary>Metric name: bytes the last run added to the repository.</summary>
    public const string LastAddedBytes = "cairn_job_last_run_added_bytes";
    /// <summary>Metric name: files (or items) the last run backed up.</summary>
    public const string LastFiles = "cairn_job_last_run_files";
    /// <summary>Metric name: runs that failed, counted from the first run this state knows.</summary>
    public const string Failures = "cairn_job_failures_total";
    /// <summary>Metric name: 1 while a run of the job is under way.</summary>
    public const string Running = "cairn_job_running";
    /// <summary>Metric name: the job's rpo (alert rules compare the last success with it).</summary>
    public const string Rpo = "cairn_job_rpo_seconds";
    /// <summary>Metric name: the job's snapshots kept in a target.</summary>
    public const string Snapshots = "cairn_job_snapshots";
    /// <summary>Metric name: the size of a target repository the job writes to.</summary>
    public const string RepositorySize = "cairn_job_repository_size_bytes";

    private static readonly string[] s_labels = ["job_name", "instance_name", "environment"];
    private static readonly string[] s_targetLabels = [.. s_labels, "target"];

    private readonly string _instance;
    private readonly string _environment;
    private readonly Dictionary<string, Collector> _byName;
    private readonly Lock _lock = new();

    /// <summary>Empty metrics; events without an instance or environment are labelled with these (empty when null).</summary>
    public CairnMetrics(string? instance = null, string? environment = null)
    {
        _instance = instance ?? "";
        _environment = environment ?? "";
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Gauge Gauge(string name, string help, string[]? labels = null) => factory.CreateGauge(name, help, labels ?? s_labels);
        _byName = new Dictionary<string, Collector>
        {
            [LastRun] = Gauge(LastRun, "When the job's last run ended (Unix time), whatever its result."),
            [LastSuccess] = Gauge(LastSuccess, "When the job's last successful run ended (Unix time)."),
            [LastRunSuccess] = Gauge(LastRunSuccess, "1 when the job's last run succeeded, 0 when it failed or stopped incomplete."),
            [LastDuration] = Gauge(LastDuration, "How long the job's last run took."),
            [LastReadBytes] = Gauge(LastReadBytes, "Bytes the job's last run read from its sources."),
            [LastAddedBytes] = Gauge(LastAddedBytes, "Bytes the job's last run added to the repository (after deduplication)."),
            [LastFiles] = Gauge(LastFiles, "Files or items the job's last run backed up."),
            [Failures] = factory.CreateCounter(Failures, "Runs of the job that failed.", s_labels),
            [Running] = Gauge(Running, "1 while a run of the job is under way, else 0."),
            [Rpo] = Gauge(Rpo, "The job's recovery point objective: alert when the last success is older."),
            [Snapshots] = Gauge(Snapshots, "The job's snapshots kept in the target.", s_targetLabels),
            [RepositorySize] = Gauge(RepositorySize, "Size of the target repository the job writes to (all its jobs' data).", s_targetLabels),
        };
    }

    /// <summary>Metrics for <paramref name="config"/>: its instance and environment, each job's RPO, and each job not running.</summary>
    public static CairnMetrics ForConfig(CairnConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var metrics = new CairnMetrics(config.Instance, config.Environment);
        foreach (var job in config.Jobs)
        {
            metrics.SetRpo(job.Name, job.Rpo);
            metrics.Gauge(Running).WithLabels(metrics.Labels(job.Name)).Set(0);
        }
        return metrics;
    }

    /// <summary>The registry to serve or export.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>
    /// Takes in an event: a start marks the job running; a finished run (success, failure, incomplete) sets the
    /// last-run gauges, the last success when it succeeded, counts a failure, and marks it not running. Stale events
    /// change nothing (the alert rules see staleness from the last success and the RPO).
    /// </summary>
    public void Observe(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var labels = Labels(e.Job, e.Instance, e.Environment);
        lock (_lock)
        {
            if (e.Started)
            {
                Gauge(Running).WithLabels(labels).Set(1);
                return;
            }
            if (e.Kind == NotificationEvent.Stale) return;
            double time = e.Time.ToUnixTimeMilliseconds() / 1000.0;
            bool success = e.Kind == NotificationEvent.Success;
            Gauge(Running).WithLabels(labels).Set(0);
            Gauge(LastRun).WithLabels(labels).Set(time);
            Gauge(LastRunSuccess).WithLabels(labels).Set(success ? 1 : 0);
            if (success) Gauge(LastSuccess).WithLabels(labels).Set(time);
            if (e.Kind == NotificationEvent.Failure) ((Counter)_byName[Failures]).WithLabels(labels).Inc();
            else ((Counter)_byName[Failures]).WithLabels(labels).Inc(0); // so the series exists from the first run on
            if (e.Duration is { } duration) Gauge(LastDuration).WithLabels(labels).Set(duration.TotalSeconds);
            Gauge(LastReadBytes).WithLabels(labels).Set(e.BytesRead);
            Gauge(LastAddedBytes).WithLabels(labels).Set(e.BytesAdded);
            Gauge(LastFiles).WithLabels(labels).Set(e.Files);
        }
    }

    /// <summary>Marks a run of <paramref name="job"/> as under way, or not.</summary>
    public void SetRunning(string job, bool running) => Gauge(Running).WithLabels(Labels(job)).Set(running ? 1 : 0);

    /// <summary>What a target holds: the job's snapshots in it, and the repository's size in bytes.</summary>
    public void SetRepository(string job, string target, long snapshots, long bytes)
    {
        ArgumentNullException.ThrowIfNull(target);
        string[] labels = [.. Labels(job), target];
        Gauge(Snapshots).WithLabels(labels).Set(snapshots);
        Gauge(RepositorySize).WithLabels(labels).Set(bytes);
    }

    /// <summary>The job's RPO (null: none, and no series).</summary>
    public void SetRpo(string job, TimeSpan? rpo)
    {
        if (rpo is { } value) Gauge(Rpo).WithLabels(Labels(job)).Set(value.TotalSeconds);
        else Gauge(Rpo).RemoveLabelled(Labels(job));
    }

    /// <summary>
    /// Seeds what an earlier process knew (the daemon's state on disk after a restart), so the "backup too old" rule
    /// does not lose a job's last success when the daemon restarts.
    /// </summary>
    public void SetLastRun(string job, DateTimeOffset? lastRun, DateTimeOffset? lastSuccess, bool? lastRunSucceeded)
    {
        var labels = Labels(job);
        if (lastRun is { } run) Gauge(LastRun).WithLabels(labels).Set(run.ToUnixTimeMilliseconds() / 1000.0);
        if (lastSuccess is { } ok) Gauge(LastSuccess).WithLabels(labels).Set(ok.ToUnixTimeMilliseconds() / 1000.0);
        if (lastRunSucceeded is { } succeeded) Gauge(LastRunSuccess).WithLabels(labels).Set(succeeded ? 1 : 0);
    }

    /// <summary>The metrics in Prometheus' text exposition format (what node_exporter's textfile collector reads).</summary>
    public async Task<string> ToTextAsync(CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Sets every sample whose metric this class knows to the value read back (a textfile written earlier, by this
    /// or another job's run); samples of other metrics, or with other labels, are ignored.
    /// </summary>
    public void Restore(IEnumerable<MetricSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        lock (_lock)
        {
            foreach (var sample in samples)
            {
                if (!_byName.TryGetValue(sample.Name, out var collector)) continue;
                var names = collector.LabelNames;
                if (names.Length != sample.Labels.Count || !names.All(sample.Labels.ContainsKey)) continue;
                var values = names.Select(n => sample.Labels[n]).ToArray();
                if (collector is Counter counter) counter.WithLabels(values).IncTo(sample.Value);
                else ((Gauge)collector).WithLabels(values).Set(sample.Value);
            }
        }
    }

    private Gauge Gauge(string name) => (Gauge)_byName[name];

    private string[] Labels(string job, string? instance = null, string? environment = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        return [job, instance ?? _instance, environment ?? _environment];
    }
}
