using System.CommandLine;
using Cairn.Orchestration.Deploy;

namespace Cairn.Cli.Commands.Schedule;

/// <summary>cairn schedule: the jobs' schedules as systemd timers, for hosts that prefer the system scheduler to cairn daemon.</summary>
internal static class ScheduleCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("schedule",
            "Run the config's jobs on their schedules with systemd instead of 'cairn daemon': install writes a service and\n" +
            "a timer per scheduled job (cairn-JOB.service, cairn-JOB.timer) and starts the timers, remove stops and deletes\n" +
            "them, status shows them with their next run.\n\n" +
            "Examples:\n" +
            "  cairn schedule install --dry-run\n" +
            "  cairn schedule install\n" +
            "  cairn schedule install --user\n" +
            "  cairn schedule status\n" +
            "  cairn schedule remove --job platform");
        command.Add(ScheduleInstallCommand.Create(context));
        command.Add(ScheduleRemoveCommand.Create(context));
        command.Add(ScheduleStatusCommand.Create(context));
        return command;
    }
}

/// <summary>--unit-dir and --user, shared by the schedule commands.</summary>
internal sealed class UnitDirectoryOptions
{
    private readonly Option<string?> _unitDir = new("--unit-dir")
    {
        Description = "Directory of the unit files (default /etc/systemd/system, or ~/.config/systemd/user with --user); systemctl is run only for the default.",
    };

    private readonly Option<bool> _user = new("--user") { Description = "Units for your own systemd user manager (systemctl --user) instead of the system's." };

    public static UnitDirectoryOptions AddTo(Command command)
    {
        var options = new UnitDirectoryOptions();
        command.Add(options._unitDir);
        command.Add(options._user);
        return options;
    }

    public bool User(Session session) => session.Get(_user);

    public UnitDirectory Directory(Session session) => new(session.Get(_unitDir) ?? UnitDirectory.Default(User(session), session.Env.Get));

    /// <summary>systemctl, when it should be run: the units are in the manager's own directory and systemd runs here.</summary>
    public Systemctl? Systemctl(Session session) =>
        session.Get(_unitDir) is null && Orchestration.Deploy.Systemctl.IsRunning(User(session), session.Env.Get) ? new Systemctl(User(session)) : null;
}
