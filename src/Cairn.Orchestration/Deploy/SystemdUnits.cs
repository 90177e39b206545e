using System.Globalization;
using System.Text;
using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Deploy;

/// <summary>How the units run cairn: the command, the config and environment, and which service manager.</summary>
public sealed record UnitOptions
{
    /// <summary>The program and leading arguments that run cairn, e.g. ["/usr/local/bin/cairn"] or ["/usr/bin/dotnet", "/opt/cairn/cairn.dll"].</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The config file's absolute path.</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The environment whose overrides apply (passed as --environment), or null.</summary>
    public string? Environment { get; init; }

    /// <summary>Units for the per-user service manager (systemctl --user), which cannot apply the system sandboxing.</summary>
    public bool User { get; init; }

    /// <summary>How long a stopping run may take to checkpoint before systemd kills it (the daemon's grace period).</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>One unit file: its name (cairn-JOB.service or .timer) and text.</summary>
public sealed record SystemdUnit(string Name, string Job, string Text);

/// <summary>
/// Writes the systemd units for a scheduled job: a oneshot service that runs <c>cairn job run JOB</c>, sandboxed as
/// far as reading any backed-up data allows, at idle CPU and I/O priority; and a timer with the job's schedule
/// converted to OnCalendar=, its jitter as RandomizedDelaySec= and Persistent=true, so a run missed while the machine
/// was off happens once at boot.
/// </summary>
public static class SystemdUnits
{
    /// <summary>The first line of every unit Cairn writes; remove and status only touch files that start with it.</summary>
    public const string Marker = "# Written by 'cairn schedule install'; 'cairn schedule remove' deletes it. Change the config and install again rather than editing.";

    /// <summary>The line naming the job, below the marker.</summary>
    public const string JobLine = "# cairn-job: ";

    /// <summary>The line naming the config file, below the marker.</summary>
    public const string ConfigLine = "# cairn-config: ";

    /// <summary>The unit name stem for a job: cairn-JOB (job names are letters, digits, '.', '_' and '-', all valid in unit names).</summary>
    public static string Stem(string job) => "cairn-" + job;

    /// <summary>The service and timer of <paramref name="job"/>, which must have a schedule.</summary>
    public static IReadOnlyList<SystemdUnit> ForJob(JobDefinition job, UnitOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(options);
        var schedule = job.Schedule ?? throw new CairnException($"job '{job.Name}' has no schedule", ExitCode.Usage);
        string calendar;
        try
        {
            calendar = SystemdCalendar.FromCron(CronFields.Parse(schedule), job.TimeZone);
        }
        catch (CairnException e)
        {
            throw new CairnException($"job '{job.Name}': {e.Message}", ExitCode.Usage, e);
        }
        var stem = Stem(job.Name);
        return [new SystemdUnit(stem + ".service", job.Name, Service(job, options)), new SystemdUnit(stem + ".timer", job.Name, Timer(job, calendar, options))];
    }

    private static string Service(JobDefinition job, UnitOptions options)
    {
        var text = Header(job, options);
        text.AppendLine("[Unit]");
        text.AppendLine(CultureInfo.InvariantCulture, $"Description=Cairn backup job {job.Name}");
        if (!options.User)
        {
            // Remote targets and database servers need the network up, not just configured.
            text.AppendLine("Wants=network-online.target");
            text.AppendLine("After=network-online.target");
        }
        text.AppendLine();
        text.AppendLine("[Service]");
        text.AppendLine("Type=oneshot");
        var command = options.Command.Concat(["--config", options.ConfigPath]);
        if (options.Environment is { } environment) command = command.Concat(["--environment", environment]);
        text.AppendLine("ExecStart=" + string.Join(' ', command.Concat(["job", "run", job.Name]).Select(Quote)));
        // A backup should not slow down what it backs up.
        text.AppendLine("Nice=10");
        text.AppendLine("IOSchedulingClass=idle");
        text.AppendLine("NoNewPrivileges=yes");
        if (!options.User)
        {
            // Read-only /usr, /boot and /etc, and no kernel or cgroup changes: a backup reads everything but writes only
            // its repository and cache. /home stays visible (it is backed up), and /tmp is private (so a file tree
            // component backing up /tmp sees an empty one).
            text.AppendLine("PrivateTmp=yes");
            text.AppendLine("ProtectSystem=full");
            text.AppendLine("ProtectKernelTunables=yes");
            text.AppendLine("ProtectKernelModules=yes");
            text.AppendLine("ProtectControlGroups=yes");
            text.AppendLine("RestrictRealtime=yes");
            text.AppendLine("LockPersonality=yes");
        }
        // SIGTERM to cairn only: it checkpoints, stops its dump tools itself and exits within the grace period.
        text.AppendLine("KillMode=mixed");
        text.AppendLine(CultureInfo.InvariantCulture, $"TimeoutStopSec={Seconds(options.GracePeriod)}");
        if (job.MaxDuration is { } max)
        {
            // cairn stops the run itself at max_duration; systemd steps in only if that somehow does not happen.
            text.AppendLine(CultureInfo.InvariantCulture, $"TimeoutStartSec={Seconds(max + options.GracePeriod + TimeSpan.FromMinutes(1))}");
        }
        return text.ToString();
    }

    private static string Timer(JobDefinition job, string calendar, UnitOptions options)
    {
        var text = Header(job, options);
        text.AppendLine("[Unit]");
        text.AppendLine(CultureInfo.InvariantCulture, $"Description=Schedule of Cairn backup job {job.Name}");
        text.AppendLine();
        text.AppendLine("[Timer]");
        text.AppendLine(CultureInfo.InvariantCulture, $"# cron: {job.Schedule!.Trim()} ({job.TimeZone ?? "UTC"})");
        text.AppendLine("OnCalendar=" + calendar);
        // The default accuracy of one minute would move runs off their cron times; a backup costs far more than a wakeup.
        text.AppendLine("AccuracySec=1s");
        if (job.Jitter is { } jitter && jitter > TimeSpan.Zero) text.AppendLine(CultureInfo.InvariantCulture, $"RandomizedDelaySec={Seconds(jitter)}");
        text.AppendLine("Persistent=true");
        text.AppendLine(CultureInfo.InvariantCulture, $"Unit={Stem(job.Name)}.service");
        text.AppendLine();
        text.AppendLine("[Install]");
        text.AppendLine("WantedBy=timers.target");
        return text.ToString();
    }

    private static StringBuilder Header(JobDefinition job, UnitOptions options) => new StringBuilder()
        .AppendLine(Marker)
        .Append(JobLine).AppendLine(job.Name)
        .Append(ConfigLine).AppendLine(options.ConfigPath)
        .AppendLine();

    private static string Seconds(TimeSpan span) => ((long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// One word of a systemd command line (systemd.service(5), "Command lines"): plain when it has nothing special,
    /// else double-quoted with C escapes; '%' (specifiers) and '$' (variables) are doubled either way.
    /// </summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        var escaped = word.Replace("%", "%%", StringComparison.Ordinal).Replace("$", "$$", StringComparison.Ordinal);
        if (escaped.Length > 0 && escaped.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%$".Contains(c, StringComparison.Ordinal))) return escaped;
        var quoted = new StringBuilder("\"");
        foreach (var c in escaped)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }
}
