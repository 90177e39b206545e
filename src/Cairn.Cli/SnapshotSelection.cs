using System.CommandLine;
using Cairn.Snapshots;

namespace Cairn.Cli;

/// <summary>--host, --tag and --path: filter snapshot lists and narrow what "latest" means.</summary>
internal sealed class SnapshotSelection
{
    public Option<string[]> Hosts { get; } = new("--host", "-H") { Description = "Only snapshots of this host (repeatable).", Arity = ArgumentArity.ZeroOrMore };

    public Option<string[]> Tags { get; } = new("--tag")
    {
        Description = "Only snapshots with this tag; \"a,b\" requires both, repeating the option accepts either (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string[]> Paths { get; } = new("--path") { Description = "Only snapshots that include this absolute path (repeatable).", Arity = ArgumentArity.ZeroOrMore };

    public static SnapshotSelection AddTo(Command command)
    {
        var selection = new SnapshotSelection();
        command.Add(selection.Hosts);
        command.Add(selection.Tags);
        command.Add(selection.Paths);
        return selection;
    }

    public SnapshotFilter Read(Session session) => new()
    {
        Hosts = session.Get(Hosts) ?? [],
        TagGroups = (session.Get(Tags) ?? []).Select(group => (IReadOnlyList<string>)SplitList(group)).ToList(),
        Paths = (session.Get(Paths) ?? []).Select(p => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p))).ToList(),
    };

    /// <summary>Finds a snapshot by "latest" or id prefix, with the filters narrowing "latest".</summary>
    public Task<Snapshot> FindAsync(Repository repository, Session session, string reference, CancellationToken cancellationToken) =>
        repository.FindSnapshotAsync(reference, Read(session), cancellationToken);

    public static string[] SplitList(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
