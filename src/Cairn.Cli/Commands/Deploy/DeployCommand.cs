using System.CommandLine;

namespace Cairn.Cli.Commands.Deploy;

/// <summary>cairn deploy: prints what runs the config's jobs on other platforms.</summary>
internal static class DeployCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("deploy",
            "Print what runs the config's scheduled jobs on another platform (for systemd hosts see 'cairn schedule').\n\n" +
            "Examples:\n" +
            "  cairn deploy kubernetes --namespace backup --image registry.example.com/cairn:0.1.0 | kubectl apply -f -");
        command.Add(DeployKubernetesCommand.Create(context));
        return command;
    }
}
