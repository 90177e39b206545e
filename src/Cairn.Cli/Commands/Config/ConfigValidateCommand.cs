using System.CommandLine;
using Cairn.Orchestration.Config;

namespace Cairn.Cli.Commands.Config;

/// <summary>cairn config validate: loads the config as a job would and reports every problem with file, line and column.</summary>
internal static class ConfigValidateCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("validate",
            "Load the config file exactly as 'cairn job run' would (environment overrides applied, ${VARIABLES}\n" +
            "interpolated, *_file secrets read) and report every problem at once, one per line as FILE:LINE:COLUMN: MESSAGE:\n" +
            "unknown keys (with the closest known key), wrong types, missing required options, jobs naming undefined\n" +
            "targets, unknown component types, duplicate component names. Prints 'ok: …' with the counts when the file is\n" +
            "good. Exit code 0 when it is, 2 when it has problems or cannot be found. Contacts no repository or server.\n\n" +
            "Examples:\n" +
            "  cairn config validate\n" +
            "  cairn --environment prod config validate\n" +
            "  cairn --config ./cairn.yaml config validate --json");
        context.SetAction(command, (session, _) =>
        {
            CairnConfig config;
            try
            {
                config = ConfigAccess.Load(session);
            }
            catch (ConfigException e)
            {
                if (session.Json)
                {
                    session.WriteJson(new { Ok = false, Problems = e.Problems.Select(p => new { p.File, p.Line, p.Column, p.Message }).ToList() });
                }
                else
                {
                    foreach (var problem in e.Problems) session.Out.WriteLine(problem.ToString());
                    session.Env.Error.WriteLine($"cairn: {Count(e.Problems.Count, "problem")} in the config file");
                }
                return Task.FromResult((int)e.ExitCode);
            }
            int components = config.Jobs.Sum(j => j.Components.Count);
            if (session.Json)
            {
                session.WriteJson(new
                {
                    Ok = true,
                    File = config.SourcePath,
                    config.Instance,
                    config.Environment,
                    Jobs = config.Jobs.Count,
                    Targets = config.Targets.Count,
                    Components = components,
                });
            }
            else
            {
                session.Info($"ok: {Count(config.Jobs.Count, "job")}, {Count(config.Targets.Count, "target")}, {Count(components, "component")}");
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
