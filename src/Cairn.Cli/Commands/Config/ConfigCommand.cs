using System.CommandLine;

namespace Cairn.Cli.Commands.Config;

/// <summary>cairn config: checks the config file and prints its JSON Schema.</summary>
internal static class ConfigCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("config",
            "Check the config file (cairn.yaml) and print its JSON Schema. The file is found through --config, then\n" +
            "$CAIRN_CONFIG, then ./cairn.yaml, then /etc/cairn/cairn.yaml.\n\n" +
            "Examples:\n" +
            "  cairn config validate\n" +
            "  cairn --config /srv/cairn.yaml --environment prod config validate\n" +
            "  cairn config schema > cairn.schema.json");
        command.Add(ConfigValidateCommand.Create(context));
        command.Add(ConfigSchemaCommand.Create(context));
        return command;
    }
}
