using System.CommandLine;
using Cairn.Maintenance.Repair;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands.Repair;

/// <summary>cairn repair index: rebuilds the index from pack headers.</summary>
internal static class RepairIndexCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("index",
            "Rebuild the index from the packs alone: read the header at the end of every pack, write new index files that\n" +
            "list every pack whose header is intact, and then delete the old index files (new files first, so an interrupted\n" +
            "repair leaves a usable index). Use it when check reports damaged index files, or missing or truncated packs.\n\n" +
            "A pack whose header cannot be read (a truncated pack, say) is reported and left out, so its blobs count as\n" +
            "missing afterwards: 'cairn repair snapshots' then rewrites the snapshots that used them. Packs that no index\n" +
            "named (left by interrupted backups) are indexed again. A blob that is corrupt inside an otherwise intact pack\n" +
            "stays indexed: 'cairn check --read-data' finds those.\n\n" +
            "Exit code 0 when every pack was indexed, 14 when some pack was left out.\n\n" +
            "Examples:\n" +
            "  cairn repair index\n" +
            "  cairn repair index --json");
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, LockKind.Exclusive, loadIndex: false).ConfigureAwait(false);
            var rebuilder = new IndexRebuilder(repository);
            var p = rebuilder.Progress;
            var result = await ProgressDisplay.RunAsync(session, rebuilder.RunAsync(ct),
                () => $"reading pack headers: {p.HeadersRead}/{p.Packs}", () => (p.HeadersRead, p.Packs)).ConfigureAwait(false);
            if (session.Json)
            {
                session.WriteJson(new
                {
                    result.PacksIndexed,
                    result.BlobsIndexed,
                    IndexFilesWritten = result.WrittenIndexFiles.Select(id => id.ToString()),
                    IndexFilesRemoved = result.RemovedIndexFiles,
                    DamagedPacks = result.DamagedPacks.Select(d => new { Id = d.PackId.ToString(), d.Problem }),
                });
            }
            else
            {
                foreach (var d in result.DamagedPacks) session.Out.WriteLine($"damaged pack {d.PackId}: {d.Problem}");
                session.Info($"indexed {result.BlobsIndexed} blobs of {result.PacksIndexed} packs in {result.WrittenIndexFiles.Count} new index files; " +
                             $"removed {result.RemovedIndexFiles.Count} old index files");
                if (result.DamagedPacks.Count > 0)
                    session.Out.WriteLine($"{result.DamagedPacks.Count} packs were left out: run 'cairn check' to see which snapshots lost data, " +
                                          "and 'cairn repair snapshots' to rewrite them");
            }
            return result.DamagedPacks.Count == 0 ? 0 : (int)ExitCode.Integrity;
        });
        return command;
    }
}
