using System.CommandLine;
using Cairn.Orchestration.Config;

namespace Cairn.Cli.Commands.Config;

/// <summary>cairn config schema: prints the JSON Schema of the config file, for editors.</summary>
internal static class ConfigSchemaCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("schema",
            "Print the JSON Schema (draft 2020-12) of the config file: every key the loader accepts, with each component\n" +
            "type's options, descriptions and defaults. The same schema is published as docs/cairn.schema.json. Point a\n" +
            "YAML editor at it with a first line such as\n" +
            "  # yaml-language-server: $schema=/etc/cairn/cairn.schema.json\n" +
            "to get completion and checks while editing. Needs no config file.\n\n" +
            "Example:\n" +
            "  cairn config schema > /etc/cairn/cairn.schema.json");
        context.SetAction(command, (session, _) =>
        {
            session.Out.Write(ConfigSchema.Generate(session.Env.ComponentTypes));
            return Task.FromResult(0);
        });
        return command;
    }
}
