using System.CommandLine;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;
using Cairn.Storage;

namespace Cairn.Cli.Commands;

/// <summary>cairn stats: sizes of snapshots and of the repository.</summary>
internal static class StatsCommand
{
    public static Command Create(CommandContext context)
    {
        var snapshotsArg = new Argument<string[]>("SNAPSHOT") { Description = "Snapshots to count (id prefixes or latest); default: all.", Arity = ArgumentArity.ZeroOrMore };
        var mode = new Option<string>("--mode")
        {
            Description = "restore-size: files and bytes a restore would write; raw-data: the unique blobs the snapshots use, raw and stored.",
            DefaultValueFactory = _ => "restore-size",
        };
        mode.AcceptOnlyFromAmong("restore-size", "raw-data");
        var command = new Command("stats",
            "Show how big snapshots are and what the repository holds. restore-size (the default) counts the files and\n" +
            "bytes a restore of the snapshots would write; raw-data counts the unique blobs they reference, their plaintext\n" +
            "size and the space they take in the repository (compressed and encrypted). Also prints the number of\n" +
            "snapshots and packs and the repository-wide totals from the index.\n\n" +
            "Examples:\n" +
            "  cairn stats\n" +
            "  cairn stats latest --mode raw-data\n" +
            "  cairn stats --json");
        command.Add(snapshotsArg);
        command.Add(mode);
        var selection = SnapshotSelection.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct).ConfigureAwait(false);
            var refs = session.Get(snapshotsArg) ?? [];
            var snapshots = refs.Length == 0
                ? await repository.ListSnapshotsAsync(selection.Read(session), ct).ConfigureAwait(false)
                : [.. await Task.WhenAll(refs.Select(r => selection.FindAsync(repository, session, r, ct))).ConfigureAwait(false)];
            bool rawData = session.Get(mode) == "raw-data";
            long files = 0, bytes = 0, blobs = 0, raw = 0, stored = 0;
            var seen = new HashSet<ObjectId>();
            foreach (var snapshot in snapshots)
            {
                if (rawData) AddBlob(repository, snapshot.Tree, seen, ref blobs, ref raw, ref stored);
                await foreach (var (_, node) in TreeWalker.WalkAsync(repository, snapshot.Tree, "/", ct).ConfigureAwait(false))
                {
                    if (node.Kind == NodeKind.File)
                    {
                        files++;
                        bytes += node.Size;
                    }
                    if (!rawData) continue;
                    if (node.Kind == NodeKind.Directory) AddBlob(repository, node.Subtree, seen, ref blobs, ref raw, ref stored);
                    foreach (var id in node.Content ?? []) AddBlob(repository, id, seen, ref blobs, ref raw, ref stored);
                }
            }
            long packs = 0;
            await foreach (var _ in repository.Blobs.ListAsync(BlobKind.Pack, ct).ConfigureAwait(false)) packs++;
            long repoRaw = 0, repoStored = 0;
            foreach (var (_, location) in repository.Content.Index.Entries)
            {
                repoRaw += location.Entry.RawLength;
                repoStored += location.Entry.StoredLength;
            }
            double ratio = stored == 0 ? 0 : Math.Round((double)raw / stored, 3);
            if (session.Json)
            {
                session.WriteJson(new
                {
                    Mode = rawData ? "raw-data" : "restore-size",
                    SnapshotsCount = snapshots.Count,
                    TotalFileCount = files,
                    TotalSize = rawData ? (long?)null : bytes,
                    TotalBlobCount = rawData ? blobs : (long?)null,
                    TotalUncompressedSize = rawData ? raw : (long?)null,
                    TotalStoredSize = rawData ? stored : (long?)null,
                    CompressionRatio = rawData ? ratio : (double?)null,
                    Repository = new { Packs = packs, Blobs = repository.Content.Index.Count, RawSize = repoRaw, StoredSize = repoStored },
                });
                return 0;
            }
            session.Out.WriteLine($"Stats in {(rawData ? "raw-data" : "restore-size")} mode:");
            session.Out.WriteLine($"     Snapshots processed:  {snapshots.Count}");
            session.Out.WriteLine($"        Total File Count:  {files}");
            if (rawData)
            {
                session.Out.WriteLine($"        Total Blob Count:  {blobs}");
                session.Out.WriteLine($" Total Uncompressed Size:  {Format.Bytes(raw)}");
                session.Out.WriteLine($"       Total Stored Size:  {Format.Bytes(stored)}");
                session.Out.WriteLine($"       Compression Ratio:  {ratio:0.00}x");
            }
            else
            {
                session.Out.WriteLine($"              Total Size:  {Format.Bytes(bytes)}");
            }
            session.Out.WriteLine($"Repository: {packs} packs, {repository.Content.Index.Count} blobs, {Format.Bytes(repoRaw)} raw, {Format.Bytes(repoStored)} stored");
            return 0;
        });
        return command;
    }

    private static void AddBlob(Repository repository, ObjectId id, HashSet<ObjectId> seen, ref long blobs, ref long raw, ref long stored)
    {
        if (!seen.Add(id) || !repository.Content.Index.TryGet(id, out var location)) return;
        blobs++;
        raw += location.Entry.RawLength;
        stored += location.Entry.StoredLength;
    }
}
