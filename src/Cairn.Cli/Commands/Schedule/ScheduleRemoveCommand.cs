using System.CommandLine;

namespace Cairn.Cli.Commands.Schedule;

/// <summary>cairn schedule remove: stops and deletes the systemd units cairn wrote.</summary>
internal static class ScheduleRemoveCommand
{
    public static Command Create(CommandContext context)
    {
        var job = new Option<string?>("--job") { Description = "Only this job's units (default: all units cairn wrote in the directory)." };
        var command = new Command("remove",
            "Stop, disable and delete the units 'cairn schedule install' wrote (each starts with cairn's marker line; no other\n" +
            "unit is touched), then reload systemd. Needs no config. Without systemd running, or with --unit-dir, the files are\n" +
            "only deleted.\n\n" +
            "Examples:\n" +
            "  cairn schedule remove\n" +
            "  cairn schedule remove --job platform --user");
        command.Add(job);
        var directoryOptions = UnitDirectoryOptions.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            var directory = directoryOptions.Directory(session);
            var units = directory.Find(session.Get(job));
            if (units.Count == 0 && session.Get(job) is { } name)
                throw new CairnException($"{directory.Path} has no units cairn wrote for job '{name}'", ExitCode.NotFound);
            var systemctl = directoryOptions.Systemctl(session);
            var timers = units.Where(u => u.Name.EndsWith(".timer", StringComparison.Ordinal)).Select(u => u.Name).ToList();
            if (systemctl is not null && timers.Count > 0) await systemctl.RunAsync(["disable", "--now", .. timers], ct).ConfigureAwait(false);
            directory.Delete(units.Select(u => u.Name));
            if (systemctl is not null && units.Count > 0) await systemctl.RunAsync(["daemon-reload"], ct).ConfigureAwait(false);
            if (session.Json) session.WriteJson(new { UnitDirectory = directory.Path, Removed = units.Select(u => u.Name).ToList(), Stopped = systemctl is not null });
            else session.Info(units.Count == 0 ? $"no units cairn wrote in {directory.Path}" : $"removed {string.Join(", ", units.Select(u => u.Name))} from {directory.Path}");
            return 0;
        });
        return command;
    }
}
