using System.CommandLine;
using System.Globalization;

namespace Cairn.Cli.Commands.Schedule;

/// <summary>cairn schedule status: the units cairn wrote, with their timers' state and next run.</summary>
internal static class ScheduleStatusCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("status",
            "List the timers 'cairn schedule install' wrote: job, calendar event, and, when systemd runs here, whether the\n" +
            "timer is active, when it fires next and when it last did, and how the job's last run ended. Needs no config.\n\n" +
            "Examples:\n" +
            "  cairn schedule status\n" +
            "  cairn schedule status --user --json");
        var directoryOptions = UnitDirectoryOptions.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            var directory = directoryOptions.Directory(session);
            var timers = directory.List().Where(u => u.Name.EndsWith(".timer", StringComparison.Ordinal)).ToList();
            var systemctl = directoryOptions.Systemctl(session);
            var rows = new List<Row>();
            foreach (var timer in timers)
            {
                Dictionary<string, string> timerState = [], serviceState = [];
                if (systemctl is not null)
                {
                    timerState = Properties(await systemctl.RunAsync(["show", "--property=ActiveState,NextElapseUSecRealtime,LastTriggerUSec", timer.Name], ct).ConfigureAwait(false));
                    serviceState = Properties(await systemctl.RunAsync(["show", "--property=Result,ExecMainStatus", timer.Name[..^".timer".Length] + ".service"], ct).ConfigureAwait(false));
                }
                rows.Add(new Row(timer.Job, timer.Name, timer.OnCalendar ?? "", timer.ConfigPath,
                    timerState.GetValueOrDefault("ActiveState"), Blank(timerState.GetValueOrDefault("NextElapseUSecRealtime")),
                    Blank(timerState.GetValueOrDefault("LastTriggerUSec")), serviceState.GetValueOrDefault("Result"),
                    serviceState.TryGetValue("ExecMainStatus", out var status) && int.TryParse(status, CultureInfo.InvariantCulture, out var code) ? code : null));
            }
            if (session.Json)
            {
                session.WriteJson(new { UnitDirectory = directory.Path, SystemdRunning = systemctl is not null, Timers = rows });
                return 0;
            }
            if (rows.Count == 0)
            {
                session.Out.WriteLine($"no timers cairn wrote in {directory.Path}");
                return 0;
            }
            TextTable.Write(session.Out, ["Job", "Timer", "OnCalendar", "State", "Next", "Last", "Last result"],
                [.. rows.Select(r => new[] { r.Job, r.Timer, r.OnCalendar, r.State ?? "-", r.Next ?? "-", r.Last ?? "-",
                    r.Result is null ? "-" : r.Result + (r.ExitStatus is > 0 ? $" (exit {r.ExitStatus})" : "") })]);
            if (systemctl is null) session.Out.WriteLine("systemd is not running here (or --unit-dir is not its directory): states and times are unknown");
            return 0;
        });
        return command;
    }

    private sealed record Row(string Job, string Timer, string OnCalendar, string ConfigPath, string? State, string? Next, string? Last, string? Result, int? ExitStatus);

    private static Dictionary<string, string> Properties(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);

    // systemctl shows an unset time as "n/a" (or nothing).
    private static string? Blank(string? value) => string.IsNullOrEmpty(value) || value == "n/a" ? null : value;
}
