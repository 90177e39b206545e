namespace Cairn.Components.Prometheus;

/// <summary>Options of a <c>prometheus</c> component: the server's API, its data directory on this host, its config files.</summary>
public sealed record PrometheusOptions : ComponentOptions
{
    /// <summary>The server's base URL; its admin API must be on (<c>--web.enable-admin-api</c>).</summary>
    public string Url { get; init; } = "http://127.0.0.1:9090";

    /// <summary>User for HTTP basic authentication (Prometheus' --web.config.file), or null.</summary>
    public string? User { get; init; }

    /// <summary>That user's password.</summary>
    [Secret]
    public string? Password { get; init; }

    /// <summary>The server's --storage.tsdb.path on this host (Debian's default); snapshots appear in its snapshots/ folder.</summary>
    public string DataDir { get; init; } = "/var/lib/prometheus/metrics2";

    /// <summary>Config files to back up with the data: prometheus.yml, rule files, web config, file_sd targets.</summary>
    public List<string> ConfigFiles { get; init; } = [];

    /// <summary>Leave out the data still in memory (the head block, the last ~2 hours), as the snapshot API's skip_head.</summary>
    public bool SkipHead { get; init; }
}
