using System.CommandLine;
using Cairn.Orchestration.Deploy;

namespace Cairn.Cli.Commands.Schedule;

/// <summary>cairn schedule install: writes a systemd service and timer per scheduled job, and starts the timers.</summary>
internal static class ScheduleInstallCommand
{
    public static Command Create(CommandContext context)
    {
        var job = new Option<string?>("--job") { Description = "Only this job (default: every job with a schedule)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the units instead of writing them." };
        var executable = new Option<string?>("--executable") { Description = "The cairn program the units run (default: this one)." };
        var command = new Command("install",
            "Write cairn-JOB.service and cairn-JOB.timer for every job with a schedule (or --job), then, when systemd runs\n" +
            "here and the units are in its directory, reload it and enable and start the timers; otherwise say what to run.\n" +
            "The service runs 'cairn --config CONFIG job run JOB' once (Type=oneshot) at idle CPU and I/O priority, with\n" +
            "NoNewPrivileges, PrivateTmp and ProtectSystem=full (read-only /usr, /boot and /etc; everything stays readable).\n" +
            "The timer's OnCalendar= is the job's cron schedule converted (lists, ranges, steps, names, L, n#k; a day must\n" +
            "match both day fields, as for cairn daemon) in its time_zone (default UTC), RandomizedDelaySec= its jitter, and\n" +
            "Persistent=true runs a slot missed while the machine was off once at boot. A schedule systemd cannot express is\n" +
            "refused with exit 2. Units of this config whose jobs lost their schedule are stopped and deleted. A unit file\n" +
            "of the same name that cairn did not write is never overwritten (exit 2).\n\n" +
            "Examples:\n" +
            "  cairn schedule install --dry-run\n" +
            "  cairn --config /etc/cairn/cairn.yaml schedule install\n" +
            "  cairn schedule install --job platform --unit-dir ./units --executable /usr/local/bin/cairn");
        foreach (var option in new Option[] { job, dryRun, executable }) command.Add(option);
        var directoryOptions = UnitDirectoryOptions.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            var config = ConfigAccess.Load(session);
            var configPath = Path.GetFullPath(config.SourcePath);
            var jobs = ScheduledJobs.Select(config, session.Get(job));
            bool user = directoryOptions.User(session);
            var options = new UnitOptions
            {
                Command = session.Get(executable) is { } program ? [Path.GetFullPath(program)] : CairnProgram.Command(),
                ConfigPath = configPath,
                Environment = config.Environment,
                User = user,
                GracePeriod = config.Daemon.GracePeriod,
            };
            var units = jobs.SelectMany(j => SystemdUnits.ForJob(j, options)).ToList();
            var directory = directoryOptions.Directory(session);
            var timers = units.Where(u => u.Name.EndsWith(".timer", StringComparison.Ordinal)).Select(u => u.Name).ToList();

            if (session.Get(dryRun))
            {
                if (session.Json) session.WriteJson(units.Select(u => new { u.Name, u.Job, Path = Path.Combine(directory.Path, u.Name), u.Text }).ToList());
                else
                    foreach (var unit in units) session.Out.Write($"# {Path.Combine(directory.Path, unit.Name)}\n{unit.Text}\n");
                return 0;
            }

            var changes = directory.Install(units, configPath);
            var systemctl = directoryOptions.Systemctl(session);
            var staleTimers = changes.Stale.Where(n => n.EndsWith(".timer", StringComparison.Ordinal)).ToList();
            if (systemctl is not null && staleTimers.Count > 0) await systemctl.RunAsync(["disable", "--now", .. staleTimers], ct).ConfigureAwait(false);
            directory.Delete(changes.Stale);
            if (systemctl is not null)
            {
                await systemctl.RunAsync(["daemon-reload"], ct).ConfigureAwait(false);
                await systemctl.RunAsync(["enable", "--now", .. timers], ct).ConfigureAwait(false);
            }
            var next = systemctl is null
                ? "systemd is not running here, or the units are not in its directory, so nothing was started; where they are used, run: " +
                  $"{new Systemctl(user).Describe("daemon-reload")} && {new Systemctl(user).Describe(["enable", "--now", .. timers])}"
                : $"enabled and started {string.Join(", ", timers)}";
            if (session.Json)
                session.WriteJson(new { UnitDirectory = directory.Path, changes.Written, changes.Unchanged, Removed = changes.Stale, Started = systemctl is not null, Timers = timers });
            else
            {
                if (changes.Written.Count > 0) session.Info($"wrote {string.Join(", ", changes.Written)} in {directory.Path}");
                if (changes.Unchanged.Count > 0) session.Info($"unchanged: {string.Join(", ", changes.Unchanged)}");
                if (changes.Stale.Count > 0) session.Info($"removed (their jobs have no schedule any more): {string.Join(", ", changes.Stale)}");
                session.Info(next);
            }
            return 0;
        });
        return command;
    }
}
