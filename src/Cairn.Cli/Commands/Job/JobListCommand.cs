using System.CommandLine;

namespace Cairn.Cli.Commands.Job;

/// <summary>cairn job list: the jobs of the config file, with their targets and components.</summary>
internal static class JobListCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("list",
            "List the jobs of the config file: for each, the targets it writes to and its components (name and type) in\n" +
            "the order they run. The file is loaded and checked as 'cairn config validate' does (exit code 2 on problems).\n\n" +
            "Examples:\n" +
            "  cairn job list\n" +
            "  cairn --environment prod job list --json");
        context.SetAction(command, (session, _) =>
        {
            var config = ConfigAccess.Load(session);
            if (session.Json)
            {
                session.WriteJson(new
                {
                    config.Instance,
                    config.Environment,
                    Jobs = config.Jobs.Select(j => new
                    {
                        j.Name,
                        j.Targets,
                        j.Tags,
                        j.Host,
                        Components = j.Components.Select(c => new { c.Name, Type = c.Type.Name }).ToList(),
                    }).ToList(),
                });
                return Task.FromResult(0);
            }
            var rows = new List<string[]>();
            foreach (var job in config.Jobs)
            {
                for (int i = 0; i < job.Components.Count; i++)
                {
                    var component = job.Components[i];
                    rows.Add(i == 0
                        ? [job.Name, string.Join(", ", job.Targets), component.Name, component.Type.Name]
                        : ["", "", component.Name, component.Type.Name]);
                }
            }
            TextTable.Write(session.Out, ["Job", "Targets", "Component", "Type"], rows);
            if (config.Instance is not null || config.Environment is not null)
                session.Out.WriteLine($"instance {config.Instance ?? "-"}, environment {config.Environment ?? "-"}");
            return Task.FromResult(0);
        });
        return command;
    }
}
