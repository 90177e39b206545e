using System.CommandLine;

namespace Cairn.Cli.Commands.Repair;

/// <summary>cairn repair: fixes what check found, as far as the data that survives allows.</summary>
internal static class RepairCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("repair",
            "Repair a damaged repository after 'cairn check' reported damage. Data that is gone stays gone; repair makes the\n" +
            "rest consistent and usable again.\n\n" +
            "Usual order: 'cairn repair index' (rebuilds the index from the packs that remain), then 'cairn repair snapshots'\n" +
            "(rewrites snapshots that lost data), then 'cairn check'.\n\n" +
            "Examples:\n" +
            "  cairn repair index\n" +
            "  cairn repair snapshots --dry-run\n" +
            "  cairn repair snapshots --forget");
        command.Add(RepairIndexCommand.Create(context));
        command.Add(RepairSnapshotsCommand.Create(context));
        return command;
    }
}
