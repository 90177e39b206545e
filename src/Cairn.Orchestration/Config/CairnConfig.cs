using System.ComponentModel;
using Cairn.Components;

namespace Cairn.Orchestration.Config;

/// <summary>
/// Layer 6: a loaded, validated config file (<c>cairn.yaml</c>) with the environment's overrides applied, every
/// <c>${VAR}</c> interpolated and every <c>*_file</c> secret read. Nothing in it needs checking again.
/// </summary>
public sealed record CairnConfig
{
    /// <summary>The file it was loaded from, for messages.</summary>
    public required string SourcePath { get; init; }

    /// <summary>The installation this config describes (recorded in each snapshot), e.g. "research".</summary>
    [Description("The installation this file describes, recorded in each snapshot (e.g. research).")]
    public string? Instance { get; init; }

    /// <summary>The environment whose overrides were applied (dev/test/prod; recorded in each snapshot).</summary>
    public string? Environment { get; init; }

    /// <summary>Named repositories, by name.</summary>
    [Description("Named repositories that jobs write to.")]
    public required IReadOnlyDictionary<string, TargetDefinition> Targets { get; init; }

    /// <summary>Named jobs, by name, in file order.</summary>
    [Description("Named jobs: each backs up its components into one snapshot per target.")]
    public required IReadOnlyList<JobDefinition> Jobs { get; init; }

    /// <summary>Named notification channels, by name.</summary>
    [Description("Named notification channels (webhook, slack, email, healthchecks) that hear about job failures.")]
    public IReadOnlyDictionary<string, NotificationDefinition> Notifications { get; init; } = new Dictionary<string, NotificationDefinition>();

    /// <summary>How <c>cairn daemon</c> runs (command-line options override it).</summary>
    [Description("How 'cairn daemon' runs the jobs' schedules.")]
    public DaemonDefinition Daemon { get; init; } = new();

    /// <summary>The job of that name, or null.</summary>
    public JobDefinition? FindJob(string name) => Jobs.FirstOrDefault(j => j.Name == name);
}

[Description("A named repository that jobs write to: where it is and how to get its password.")]
/// <summary>A named repository a job writes to: where it is and how to get its password.</summary>
public sealed record TargetDefinition
{
    /// <summary>The target's name in the config.</summary>
    public required string Name { get; init; }

    /// <summary>A repository location as <c>-r</c> takes it (a path, s3:…, azure:…, sftp:…, rest:…, rclone:…).</summary>
    [Description("Repository location, as -r takes it: a directory, or s3:…, azure:…, sftp:…, rest:…, rclone:….")]
    public required string Repository { get; init; }

    /// <summary>The password (inline, or read from <c>password_file</c>).</summary>
    [Description("The repository password (better: password_file, or ${VARIABLE}).")]
    [Secret] public string? Password { get; init; }

    /// <summary>A command whose first line of output is the password (as CAIRN_PASSWORD_COMMAND).</summary>
    [Description("A command whose first line of output is the repository password.")]
    public string? PasswordCommand { get; init; }

    /// <summary>S3 storage class or Azure access tier of new data packs (as <c>--data-storage-class</c>).</summary>
    [Description("S3 storage class (STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE) or Azure tier (Cool, Cold, Archive) of new data packs; metadata stays hot.")]
    public string? DataStorageClass { get; init; }

    /// <summary>When the daemon prunes this target, and how.</summary>
    [Description("When 'cairn daemon' prunes this repository, and how much unused space prune may leave.")]
    public PruneScheduleDefinition? Prune { get; init; }
}

/// <summary>A target's own prune schedule.</summary>
[Description("A prune schedule for one target.")]
public sealed record PruneScheduleDefinition
{
    /// <summary>A cron expression, e.g. <c>0 4 * * 0</c>.</summary>
    [Description("When to prune: a cron expression (5 fields, or 6 with seconds first), e.g. '0 4 * * 0'.")]
    public required string Schedule { get; init; }

    /// <summary>IANA time zone the schedule is read in (default UTC).</summary>
    [Description("IANA time zone the schedule is read in, e.g. Europe/Berlin (default: UTC).")]
    public string? TimeZone { get; init; }

    /// <summary>As prune's <c>--max-unused</c>: a percentage (5%), a size (1G) or unlimited.</summary>
    [Description("Unused space prune may leave rather than repack: a percentage (5%), a size (1G) or 'unlimited' (default 5%).")]
    public string? MaxUnused { get; init; }

    /// <summary>As prune's <c>--max-repack-size</c>.</summary>
    [Description("At most this much data repacked per prune, e.g. 10G (default: no limit).")]
    public string? MaxRepackSize { get; init; }
}

/// <summary>A named set of components backed up together into one snapshot per target.</summary>
public sealed record JobDefinition
{
    /// <summary>The job's name (<c>cairn job run NAME</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Names of the targets it writes to, in order; the first is the primary.</summary>
    [Description("Names of the targets the job writes to; the first is the primary.")]
    public required IReadOnlyList<string> Targets { get; init; }

    /// <summary>Its components, in file order (the order they run in).</summary>
    [Description("What the job backs up, in the order it runs: each has a name, a type and the type's options.")]
    public required IReadOnlyList<ComponentDefinition> Components { get; init; }

    /// <summary>Tags added to each snapshot of the job.</summary>
    [Description("Tags added to each snapshot of the job.")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The host name recorded in snapshots (default: this machine's).</summary>
    [Description("Host name recorded in the job's snapshots (default: this machine's).")]
    public string? Host { get; init; }

    /// <summary>When the daemon runs the job: a cron expression.</summary>
    [Description("When 'cairn daemon' runs the job: a cron expression (5 fields, or 6 with seconds first), e.g. '0 2 * * *'.")]
    public string? Schedule { get; init; }

    /// <summary>IANA time zone the schedule is read in (default UTC).</summary>
    [Description("IANA time zone the schedule is read in, e.g. Europe/Berlin (default: UTC).")]
    public string? TimeZone { get; init; }

    /// <summary>A random delay of up to this long added to each scheduled start.</summary>
    [Description("A random delay of up to this long added to each scheduled start (e.g. 10m), so that many hosts do not start at once.")]
    public TimeSpan? Jitter { get; init; }

    /// <summary>A run that lasts this long stops gracefully and is reported incomplete.</summary>
    [Description("A run that lasts this long stops gracefully, keeps what it uploaded (the next run goes on from it) and is reported as incomplete (e.g. 6h).")]
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>Recovery point objective: alert when the last success is older than this.</summary>
    [Description("Recovery point objective: alert, and fail 'cairn status', when the last successful run is older than this (e.g. 26h).")]
    public TimeSpan? Rpo { get; init; }

    /// <summary>Which of the job's snapshots to keep in its targets, applied after every successful run.</summary>
    [Description("Which of the job's snapshots to keep in its targets, applied after every successful run (forget's rules).")]
    public RetentionDefinition? Retention { get; init; }

    /// <summary>An archive tier that receives the snapshots its rules choose.</summary>
    [Description("An archive tier: snapshots its retention chooses (e.g. monthly, yearly) are copied to another target, which keeps them by that retention.")]
    public ArchiveDefinition? Archive { get; init; }

    /// <summary>Names of the notification channels that hear about this job; null: all of them.</summary>
    [Description("Names of the notification channels that hear about this job (default: all of them).")]
    public IReadOnlyList<string>? Notify { get; init; }
}

/// <summary>forget's rules as config keys (keep_daily: 7 is <c>--keep-daily 7</c>).</summary>
[Description("Which snapshots to keep, as forget's --keep-* options say it; -1 means unlimited.")]
public sealed record RetentionDefinition
{
    /// <summary>As <c>--keep-last</c>.</summary>
    [Description("Keep the newest n snapshots.")]
    public int? KeepLast { get; init; }

    /// <summary>As <c>--keep-hourly</c>.</summary>
    [Description("Keep the newest snapshot of each of the last n hours.")]
    public int? KeepHourly { get; init; }

    /// <summary>As <c>--keep-daily</c>.</summary>
    [Description("Keep the newest snapshot of each of the last n days.")]
    public int? KeepDaily { get; init; }

    /// <summary>As <c>--keep-weekly</c>.</summary>
    [Description("Keep the newest snapshot of each of the last n weeks.")]
    public int? KeepWeekly { get; init; }

    /// <summary>As <c>--keep-monthly</c>.</summary>
    [Description("Keep the newest snapshot of each of the last n months.")]
    public int? KeepMonthly { get; init; }

    /// <summary>As <c>--keep-yearly</c>.</summary>
    [Description("Keep the newest snapshot of each of the last n years.")]
    public int? KeepYearly { get; init; }

    /// <summary>As <c>--keep-within</c>, e.g. 1y6m or 14d.</summary>
    [Description("Keep every snapshot within this span of the newest, e.g. 14d or 1y6m (years, months, days, hours).")]
    public string? KeepWithin { get; init; }

    /// <summary>As <c>--keep-tag</c>.</summary>
    [Description("Keep every snapshot that has all of these tags.")]
    public IReadOnlyList<string> KeepTags { get; init; } = [];

    /// <summary>As <c>--keep-min</c>: never fewer than this many snapshots.</summary>
    [Description("Never keep fewer than this many snapshots, whatever the other rules say.")]
    public int? KeepMin { get; init; }
}

/// <summary>An archive tier of a job: another target and the retention that chooses what it receives and keeps.</summary>
[Description("An archive tier: another target, and the retention that both chooses which snapshots it receives and keeps them there.")]
public sealed record ArchiveDefinition
{
    /// <summary>The archive target's name (usually one whose data_storage_class is cold).</summary>
    [Description("The archive target's name (typically one with data_storage_class GLACIER, DEEP_ARCHIVE or Archive).")]
    public required string Target { get; init; }

    /// <summary>Which snapshots the archive receives and keeps.</summary>
    [Description("Which snapshots the archive receives and keeps, e.g. keep_monthly: 4 and keep_yearly: 12.")]
    public required RetentionDefinition Retention { get; init; }
}

/// <summary>When a notification is sent.</summary>
public enum NotificationEvent
{
    /// <summary>A run failed (a component failed, a target could not be written).</summary>
    Failure,
    /// <summary>A run stopped at its max_duration or at shutdown, keeping what it uploaded.</summary>
    Incomplete,
    /// <summary>The last successful run is older than the job's rpo.</summary>
    Stale,
    /// <summary>A run succeeded.</summary>
    Success,
}

/// <summary>A named notification channel: exactly one of its kinds, and the events it hears about.</summary>
[Description("A notification channel: exactly one of webhook, slack, email or healthchecks, and the events it hears about.")]
public sealed record NotificationDefinition
{
    /// <summary>The channel's name in the config.</summary>
    public required string Name { get; init; }

    /// <summary>The events sent; default failure, incomplete and stale.</summary>
    [Description("Events sent to this channel: failure, incomplete, stale, success (default: failure, incomplete, stale).")]
    public IReadOnlyList<NotificationEvent> On { get; init; } = [NotificationEvent.Failure, NotificationEvent.Incomplete, NotificationEvent.Stale];

    /// <summary>A generic webhook: a JSON body POSTed to a URL.</summary>
    [Description("A generic webhook: a JSON description of the event is POSTed to the URL.")]
    public WebhookChannel? Webhook { get; init; }

    /// <summary>A Slack-compatible incoming webhook.</summary>
    [Description("A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat).")]
    public SlackChannel? Slack { get; init; }

    /// <summary>Email over SMTP.</summary>
    [Description("Email over SMTP (STARTTLS by default).")]
    public EmailChannel? Email { get; init; }

    /// <summary>Healthchecks-style ping URLs.</summary>
    [Description("Healthchecks-style ping URLs: URL/start when a run starts, URL on success, URL/fail with the log tail on failure.")]
    public HealthchecksChannel? Healthchecks { get; init; }
}

/// <summary>A generic JSON webhook.</summary>
[Description("A generic JSON webhook.")]
public sealed record WebhookChannel
{
    /// <summary>Where the JSON body is POSTed.</summary>
    [Description("The URL the JSON body is POSTed to.")]
    [Secret] public string? Url { get; init; }

    /// <summary>Extra request headers, e.g. Authorization.</summary>
    [Description("Extra request headers, e.g. Authorization.")]
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
}

/// <summary>A Slack-compatible incoming webhook.</summary>
[Description("A Slack-compatible incoming webhook.")]
public sealed record SlackChannel
{
    /// <summary>The incoming-webhook URL (a secret: anyone with it can post).</summary>
    [Description("The incoming-webhook URL (a secret: anyone who has it can post).")]
    [Secret] public string? Url { get; init; }
}

/// <summary>How an SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connection upgraded with STARTTLS, which must succeed.</summary>
    Starttls,
    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,
    /// <summary>No encryption (only for a relay on the same host).</summary>
    None,
}

/// <summary>Email over SMTP.</summary>
[Description("Email over SMTP.")]
public sealed record EmailChannel
{
    /// <summary>The SMTP server's host name.</summary>
    [Description("The SMTP server's host name.")]
    public required string Host { get; init; }

    /// <summary>The SMTP server's port (default 587).</summary>
    [Description("The SMTP server's port (default 587).")]
    public int Port { get; init; } = 587;

    /// <summary>How the connection is secured.</summary>
    [Description("How the connection is secured: starttls (default), tls or none.")]
    public SmtpSecurity Security { get; init; } = SmtpSecurity.Starttls;

    /// <summary>A file of trusted CA certificates (PEM) for the server's certificate, besides the system's.</summary>
    [Description("A PEM file of CA certificates trusted for the server's certificate, besides the system's.")]
    public string? CaFile { get; init; }

    /// <summary>The login name, if the server wants one.</summary>
    [Description("Login name, if the server requires authentication.")]
    public string? Username { get; init; }

    /// <summary>The login password.</summary>
    [Description("Login password (better: password_file, or ${VARIABLE}).")]
    [Secret] public string? Password { get; init; }

    /// <summary>The sender address.</summary>
    [Description("The sender address, e.g. cairn@example.com.")]
    public required string From { get; init; }

    /// <summary>The recipients.</summary>
    [Description("The recipients' addresses.")]
    public required IReadOnlyList<string> To { get; init; }
}

/// <summary>Healthchecks-style ping URLs.</summary>
[Description("Healthchecks-style pings.")]
public sealed record HealthchecksChannel
{
    /// <summary>The check's ping URL; <c>/start</c> and <c>/fail</c> are appended for those events.</summary>
    [Description("The check's ping URL; /start and /fail are appended for those events.")]
    [Secret] public string? Url { get; init; }
}

/// <summary>How a daemon's log lines are written.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per event.</summary>
    Text,
    /// <summary>One JSON object per line.</summary>
    Json,
}

/// <summary>How <c>cairn daemon</c> runs.</summary>
[Description("How 'cairn daemon' runs.")]
public sealed record DaemonDefinition
{
    /// <summary>At most this many jobs run at once.</summary>
    [Description("At most this many jobs run at once (default 1).")]
    public int MaxConcurrentJobs { get; init; } = 1;

    /// <summary>Where the daemon and <c>cairn job run</c> keep each job's last run and last success.</summary>
    [Description("Where each job's last run and last success are kept (default: $XDG_STATE_HOME/cairn if set, else /var/lib/cairn as root, else ~/.local/state/cairn).")]
    public string? StateDirectory { get; init; }

    /// <summary>Text or JSON lines on stdout.</summary>
    [Description("Log lines on stdout: text or json (one object per line).")]
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>Where to serve Prometheus metrics, e.g. 127.0.0.1:9465.</summary>
    [Description("Serve Prometheus metrics at this address, e.g. 127.0.0.1:9465 (default: not served).")]
    public string? Metrics { get; init; }

    /// <summary>How long a running backup may take to finish or checkpoint after SIGTERM.</summary>
    [Description("After SIGTERM, how long running jobs get to checkpoint or finish (default 5m).")]
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>One component of a job: its name, its type and its bound options.</summary>
public sealed record ComponentDefinition(string Name, ComponentType Type, ComponentOptions Options)
{
    /// <summary>Makes the component instance for one run.</summary>
    public Cairn.Components.IComponent Create() => Type.Create(Name, Options);
}
