using System.CommandLine;
using System.Text.Json.Nodes;
using Cairn.Snapshots;

namespace Cairn.Cli.Commands;

/// <summary>cairn snapshots: lists snapshots.</summary>
internal static class SnapshotsCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("snapshots",
            "List the snapshots in the repository, oldest first, optionally filtered by host, tag and path.\n" +
            "With --json, prints an array of objects with id, short_id, time (RFC 3339), hostname, username, paths, tags,\n" +
            "tree, parent, status and summary, as restic's snapshots --json does.\n\n" +
            "Examples:\n" +
            "  cairn snapshots\n" +
            "  cairn snapshots --host web1 --tag nightly\n" +
            "  cairn snapshots --json | jq -r '.[-1].id'");
        var selection = SnapshotSelection.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct).ConfigureAwait(false);
            var snapshots = await repository.ListSnapshotsAsync(selection.Read(session), ct).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(new JsonArray([.. snapshots.Select(ToJson)]));
                return 0;
            }
            var rows = snapshots.Select(s => new[]
            {
                s.Id.ToShortString(), Format.LocalTime(s.Time), s.Hostname, string.Join(",", s.Tags), string.Join(",", s.Paths),
                s.Status.ToString().ToLowerInvariant(),
            }).ToList();
            TextTable.Write(session.Out, ["ID", "Time", "Host", "Tags", "Paths", "Status"], rows);
            session.Out.WriteLine($"{snapshots.Count} snapshots");
            return 0;
        });
        return command;
    }

    /// <summary>The stored snapshot JSON plus id and short_id, with parent always present.</summary>
    public static JsonNode ToJson(Snapshot snapshot)
    {
        var node = JsonNode.Parse(snapshot.ToJson())!.AsObject();
        node["id"] = snapshot.Id.ToString();
        node["short_id"] = snapshot.Id.ToShortString();
        if (!node.ContainsKey("parent")) node["parent"] = null;
        if (!node.ContainsKey("username")) node["username"] = null;
        return node;
    }
}
