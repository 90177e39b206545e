using System.CommandLine;
using System.Globalization;
using Cairn.Platform;
using Cairn.Snapshots.Trees;

namespace Cairn.Cli.Commands;

/// <summary>cairn ls: lists the entries of a snapshot.</summary>
internal static class LsCommand
{
    public static Command Create(CommandContext context)
    {
        var snapshotArg = new Argument<string>("SNAPSHOT") { Description = "Snapshot id prefix, or latest." };
        var pathArg = new Argument<string?>("PATH") { Description = "List only this path and what is below it (default: everything).", Arity = ArgumentArity.ZeroOrOne };
        var longFormat = new Option<bool>("--long", "-l") { Description = "Show mode, owner, size and modification time, like ls -l." };
        var command = new Command("ls",
            "List the files and directories of a snapshot recursively, with their absolute paths as backed up.\n" +
            "With --json, prints one JSON object per line: first the snapshot, then one per entry with name, type, path,\n" +
            "uid, gid, user, group, size, mode, permissions and mtime (as restic's ls --json).\n\n" +
            "For a snapshot made by a job (cairn job run), ls without PATH lists its components instead: name, type,\n" +
            "status, items (databases, tables, keys, paths: what each holds), bytes and error; with --json one object\n" +
            "per component (struct_type \"component\") after the snapshot. 'cairn ls SNAPSHOT /' lists every file, and\n" +
            "'cairn ls SNAPSHOT /NAME' those of component NAME.\n\n" +
            "Examples:\n" +
            "  cairn ls latest\n" +
            "  cairn ls -l 3fa2c1d0 /srv/www\n" +
            "  cairn ls latest --host web1 --json\n" +
            "  cairn ls latest /db");
        command.Add(snapshotArg);
        command.Add(pathArg);
        command.Add(longFormat);
        var selection = SnapshotSelection.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct).ConfigureAwait(false);
            var snapshot = await selection.FindAsync(repository, session, session.Get(snapshotArg), ct).ConfigureAwait(false);
            bool isLong = session.Get(longFormat);
            if (session.Json)
            {
                var head = SnapshotsCommand.ToJson(snapshot).AsObject();
                head["struct_type"] = "snapshot";
                session.WriteJson(head);
            }
            else if (!session.Quiet)
            {
                session.Out.WriteLine($"snapshot {snapshot.Id.ToShortString()} of [{string.Join(" ", snapshot.Paths)}] at {Format.LocalTime(snapshot.Time)}:");
            }

            if (snapshot.Job is not null && session.Get(pathArg) is null)
            {
                ListComponents(session, snapshot);
                return 0;
            }
            var entries = session.Get(pathArg) is { } path
                ? Below(repository, snapshot, path, ct)
                : TreeWalker.WalkAsync(repository, snapshot.Tree, "/", ct);
            await foreach (var (entryPath, node) in entries.ConfigureAwait(false))
            {
                if (session.Json) session.WriteJson(ToJson(entryPath, node));
                else if (isLong) session.Out.WriteLine(LongLine(entryPath, node));
                else session.Out.WriteLine(entryPath);
            }
            return 0;
        });
        return command;
    }

    private static async IAsyncEnumerable<(string, Node)> Below(Cairn.Snapshots.Repository repository, Cairn.Snapshots.Snapshot snapshot, string path,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var start = await TreeWalker.FindAsync(repository, snapshot, path, ct).ConfigureAwait(false);
        var display = PathBytes.ToDisplay(PathBytes.Normalize(PathBytes.FromDisplay("/" + path.TrimStart('/'))));
        if (start is not null) yield return (display, start);
        if (start is not null && start.Kind != NodeKind.Directory) yield break;
        await foreach (var entry in TreeWalker.WalkAsync(repository, start?.Subtree ?? snapshot.Tree, display, ct).ConfigureAwait(false))
            yield return entry;
    }

    // A job snapshot's root holds one directory per component; what matters first is what each holds and how it went.
    private static void ListComponents(Session session, Cairn.Snapshots.Snapshot snapshot)
    {
        foreach (var c in snapshot.Components)
        {
            if (session.Json)
            {
                session.WriteJson(new
                {
                    c.Name, c.Type, Status = c.Status.ToString().ToLowerInvariant(), c.Path, c.Error, c.Tool, c.ServerVersion, c.Format,
                    Items = c.Items ?? [], c.Bytes, c.BytesAdded, c.DurationSeconds, StructType = "component",
                });
                continue;
            }
            session.Out.WriteLine($"{c.Name} ({c.Type}): {c.Status.ToString().ToLowerInvariant()}, {Format.Bytes(c.Bytes ?? 0)}"
                + (c.Format is { } format ? $", {format}" : "") + (c.Tool is { } tool ? $", {tool}" : "") + (c.ServerVersion is { } server ? $", server {server}" : ""));
            if (c.Error is { } error) session.Out.WriteLine($"  error: {error}");
            foreach (var item in c.Items ?? []) session.Out.WriteLine($"  {item}");
        }
    }

    private static object ToJson(string path, Node node) => new
    {
        Name = PathBytes.ToDisplay(node.Name),
        Type = Format.KindName(node.Kind),
        Path = path,
        node.Uid,
        node.Gid,
        node.User,
        node.Group,
        node.Size,
        Mode = Format.UnixMode(node),
        Permissions = Format.Permissions(node),
        Mtime = Format.Rfc3339Nanos(node.ModifyTimeNs),
        Ctime = Format.Rfc3339Nanos(node.ChangeTimeNs),
        node.Inode,
        Links = node.LinkCount,
        LinkTarget = node.LinkTarget is { } target ? PathBytes.ToDisplay(target) : null,
        StructType = "node",
    };

    private static string LongLine(string path, Node node)
    {
        var owner = node.User ?? node.Uid.ToString(CultureInfo.InvariantCulture);
        var group = node.Group ?? node.Gid.ToString(CultureInfo.InvariantCulture);
        var link = node.LinkTarget is { } target ? " -> " + PathBytes.ToDisplay(target) : "";
        return $"{Format.Permissions(node)} {owner,8} {group,8} {node.Size,12} {Format.LocalTimeNanos(node.ModifyTimeNs)} {path}{link}";
    }
}
