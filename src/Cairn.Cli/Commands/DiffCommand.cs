using System.CommandLine;
using Cairn.Content;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Cli.Commands;

/// <summary>cairn diff: what changed between two snapshots.</summary>
internal static class DiffCommand
{
    private sealed class Totals
    {
        public long Added, Removed, Modified, MetadataOnly, TypeChanged, BytesAdded, BytesRemoved;
    }

    public static Command Create(CommandContext context)
    {
        var first = new Argument<string>("SNAP1") { Description = "The older snapshot (id prefix or latest)." };
        var second = new Argument<string>("SNAP2") { Description = "The newer snapshot (id prefix or latest)." };
        var command = new Command("diff",
            "Show what changed between two snapshots, one line per path:\n" +
            "  +  added            -  removed\n" +
            "  M  content changed  U  metadata only (mode, owner, times, xattrs)\n" +
            "  T  type changed (e.g. a file became a directory)\n" +
            "Directories end in '/'. With --json, one object per change and a final statistics object.\n\n" +
            "Examples:\n" +
            "  cairn diff 3fa2c1d0 latest\n" +
            "  cairn diff 3fa2 9c1e --json");
        command.Add(first);
        command.Add(second);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct).ConfigureAwait(false);
            var a = await repository.FindSnapshotAsync(session.Get(first), SnapshotFilter.All, ct).ConfigureAwait(false);
            var b = await repository.FindSnapshotAsync(session.Get(second), SnapshotFilter.All, ct).ConfigureAwait(false);
            if (!session.Json) session.Info($"comparing snapshot {a.Id.ToShortString()} to {b.Id.ToShortString()}:\n");
            var totals = new Totals();
            await CompareAsync(repository, a.Tree, b.Tree, "/", (modifier, path, oldNode, newNode) =>
            {
                Count(totals, modifier, oldNode, newNode);
                if (session.Json) session.WriteJson(new { MessageType = "change", Path = path, Modifier = modifier.ToString() });
                else session.Out.WriteLine($"{modifier}    {path}");
            }, ct).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(new
                {
                    MessageType = "statistics",
                    SourceSnapshot = a.Id.ToString(),
                    TargetSnapshot = b.Id.ToString(),
                    totals.Added,
                    totals.Removed,
                    totals.Modified,
                    totals.MetadataOnly,
                    totals.TypeChanged,
                    totals.BytesAdded,
                    totals.BytesRemoved,
                });
            }
            else
            {
                session.Info("");
                session.Info($"Added:    {totals.Added} entries, {Format.Bytes(totals.BytesAdded)}");
                session.Info($"Removed:  {totals.Removed} entries, {Format.Bytes(totals.BytesRemoved)}");
                session.Info($"Changed:  {totals.Modified} content, {totals.MetadataOnly} metadata only, {totals.TypeChanged} type");
            }
            return 0;
        });
        return command;
    }

    private static void Count(Totals totals, char modifier, Node? oldNode, Node? newNode)
    {
        switch (modifier)
        {
            case '+': totals.Added++; totals.BytesAdded += newNode!.Size; break;
            case '-': totals.Removed++; totals.BytesRemoved += oldNode!.Size; break;
            case 'M': totals.Modified++; break;
            case 'U': totals.MetadataOnly++; break;
            default: totals.TypeChanged++; break;
        }
    }

    private delegate void ChangeHandler(char modifier, string path, Node? oldNode, Node? newNode);

    private static async Task CompareAsync(Repository repository, ObjectId? oldTree, ObjectId? newTree, string prefix, ChangeHandler emit, CancellationToken ct)
    {
        IReadOnlyList<Node> olds = oldTree is { } o ? (await repository.LoadTreeAsync(o, ct).ConfigureAwait(false)).Nodes : [];
        IReadOnlyList<Node> news = newTree is { } n ? (await repository.LoadTreeAsync(n, ct).ConfigureAwait(false)).Nodes : [];
        int i = 0, j = 0;
        while (i < olds.Count || j < news.Count)
        {
            int c = i == olds.Count ? 1 : j == news.Count ? -1 : olds[i].Name.AsSpan().SequenceCompareTo(news[j].Name);
            var oldNode = c <= 0 ? olds[i++] : null;
            var newNode = c >= 0 ? news[j++] : null;
            var node = newNode ?? oldNode!;
            var path = prefix + PathBytes.ToDisplay(node.Name) + (node.Kind == NodeKind.Directory ? "/" : "");
            if (oldNode is null || newNode is null)
            {
                emit(oldNode is null ? '+' : '-', path, oldNode, newNode);
                if (node.Kind == NodeKind.Directory)
                    await CompareAsync(repository, oldNode?.Subtree, newNode?.Subtree, path, emit, ct).ConfigureAwait(false);
            }
            else if (oldNode.Kind != newNode.Kind)
            {
                emit('T', path, oldNode, newNode);
            }
            else
            {
                if (newNode.Kind != NodeKind.Directory && !SameContent(oldNode, newNode)) emit('M', path, oldNode, newNode);
                else if (!SameMetadata(oldNode, newNode)) emit('U', path, oldNode, newNode);
                if (newNode.Kind == NodeKind.Directory && oldNode.Subtree != newNode.Subtree)
                    await CompareAsync(repository, oldNode.Subtree, newNode.Subtree, path, emit, ct).ConfigureAwait(false);
            }
        }
    }

    private static bool SameContent(Node a, Node b) =>
        a.Size == b.Size && (a.Content ?? []).SequenceEqual(b.Content ?? []) && (a.Extents ?? []).SequenceEqual(b.Extents ?? [])
        && (a.LinkTarget ?? []).AsSpan().SequenceEqual(b.LinkTarget ?? []) && a.RDev == b.RDev;

    private static bool SameMetadata(Node a, Node b) =>
        a.Mode == b.Mode && a.Uid == b.Uid && a.Gid == b.Gid && a.ModifyTimeNs == b.ModifyTimeNs
        && (a.ExtendedAttributes ?? []).Count == (b.ExtendedAttributes ?? []).Count
        && (a.ExtendedAttributes ?? []).Zip(b.ExtendedAttributes ?? []).All(p => p.First.Key.AsSpan().SequenceEqual(p.Second.Key) && p.First.Value.AsSpan().SequenceEqual(p.Second.Value));
}
