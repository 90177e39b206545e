using System.CommandLine;
using Cairn.Content;
using Cairn.Snapshots.Trees;

namespace Cairn.Cli.Commands;

/// <summary>cairn dump: writes one file of a snapshot to stdout.</summary>
internal static class DumpCommand
{
    public static Command Create(CommandContext context)
    {
        var snapshotArg = new Argument<string>("SNAPSHOT") { Description = "Snapshot id prefix, or latest." };
        var fileArg = new Argument<string>("FILE") { Description = "Absolute path of the file in the snapshot (as cairn ls prints it)." };
        var command = new Command("dump",
            "Write the content of one file of a snapshot to standard output, byte for byte (holes of sparse files as zeros).\n" +
            "When its data is in an archive class, dump stops with exit code 20 before writing a byte, or with --thaw\n" +
            "requests a thaw and waits (progress on stderr).\n\n" +
            "Examples:\n" +
            "  cairn dump latest /etc/fstab\n" +
            "  cairn dump 3fa2c1d0 /srv/db/dump.sql > dump.sql\n" +
            "  cairn dump latest /srv/db/dump.sql --thaw --thaw-priority Expedited > dump.sql");
        command.Add(snapshotArg);
        command.Add(fileArg);
        var selection = SnapshotSelection.AddTo(command);
        var thaw = ThawSettings.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenForReadingAsync(session, ct).ConfigureAwait(false);
            var snapshot = await selection.FindAsync(repository, session, session.Get(snapshotArg), ct).ConfigureAwait(false);
            var path = session.Get(fileArg);
            var node = await TreeWalker.FindAsync(repository, snapshot, path, ct).ConfigureAwait(false);
            if (node is not { Kind: NodeKind.File })
                throw new CairnException($"{path} is {(node is null ? "the root directory" : "a " + Format.KindName(node.Kind))}, not a file: cairn dump writes one file", ExitCode.Usage);
            await thaw.EnsurePacksReadableAsync(session, repository.Blobs, _ => Task.FromResult(PacksOf(repository.Content, node)), "dump", ct).ConfigureAwait(false);
            await session.Out.FlushAsync(ct).ConfigureAwait(false);
            await WriteContentAsync(repository.Content, node, session.Env.StdoutStream, ct).ConfigureAwait(false);
            await session.Env.StdoutStream.FlushAsync(ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static IReadOnlyCollection<ObjectId> PacksOf(ContentStore content, Node node)
    {
        var packs = new HashSet<ObjectId>();
        foreach (var id in node.Content ?? [])
            if (content.Index.TryGet(id, out var location)) packs.Add(location.PackId);
        return packs;
    }

    // Chunks cover the data back to back; for a sparse file they fill its extents in order and the rest is holes.
    private static async Task WriteContentAsync(ContentStore content, Node node, Stream output, CancellationToken ct)
    {
        var extents = node.Extents ?? [new Extent(0, node.Size)];
        long position = 0;
        int extentIndex = 0;
        long extentUsed = 0;
        foreach (var id in node.Content ?? [])
        {
            var data = await content.LoadAsync(ObjectType.Data, id, ct).ConfigureAwait(false);
            int offset = 0;
            while (offset < data.Length && extentIndex < extents.Count)
            {
                var extent = extents[extentIndex];
                await WriteZerosAsync(output, extent.Offset + extentUsed - position, ct).ConfigureAwait(false);
                position = extent.Offset + extentUsed;
                int n = (int)Math.Min(data.Length - offset, extent.Length - extentUsed);
                await output.WriteAsync(data.AsMemory(offset, n), ct).ConfigureAwait(false);
                offset += n;
                position += n;
                extentUsed += n;
                if (extentUsed == extent.Length)
                {
                    extentIndex++;
                    extentUsed = 0;
                }
            }
        }
        await WriteZerosAsync(output, node.Size - position, ct).ConfigureAwait(false);
    }

    private static async Task WriteZerosAsync(Stream output, long count, CancellationToken ct)
    {
        var zeros = new byte[(int)Math.Min(Math.Max(count, 0), 1 << 20)];
        while (count > 0)
        {
            int n = (int)Math.Min(count, zeros.Length);
            await output.WriteAsync(zeros.AsMemory(0, n), ct).ConfigureAwait(false);
            count -= n;
        }
    }
}
