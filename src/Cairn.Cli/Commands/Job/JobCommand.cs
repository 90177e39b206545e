using System.CommandLine;

namespace Cairn.Cli.Commands.Job;

/// <summary>cairn job: runs the jobs the config file declares.</summary>
internal static class JobCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("job",
            "Run the jobs declared in the config file (--config, $CAIRN_CONFIG, ./cairn.yaml or /etc/cairn/cairn.yaml).\n" +
            "A job backs up its components (file trees, database dumps, service definitions, …) into one snapshot.\n\n" +
            "Examples:\n" +
            "  cairn job list\n" +
            "  cairn job run platform\n" +
            "  cairn job run platform --component db --dry-run");
        command.Add(JobListCommand.Create(context));
        command.Add(JobRunCommand.Create(context));
        return command;
    }
}
