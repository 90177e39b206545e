using System.CommandLine;
using Cairn.Content;
using Cairn.Maintenance.Check;
using Cairn.Maintenance.Repair;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands.Repair;

/// <summary>cairn repair snapshots: rewrites snapshots that use lost data, marking what was lost.</summary>
internal static class RepairSnapshotsCommand
{
    public static Command Create(CommandContext context)
    {
        var snapshotsArg = new Argument<string[]>("SNAPSHOT") { Description = "Snapshots to repair (id prefixes); default: all that lost data.", Arity = ArgumentArity.ZeroOrMore };
        var forget = new Option<bool>("--forget") { Description = "Delete each original snapshot once its repaired replacement is saved." };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Show what would change; write and delete nothing." };
        var readData = new Option<bool>("--read-data") { Description = "Find lost blobs by reading every pack (as check --read-data), not only from the structure." };
        var command = new Command("snapshots",
            "Rewrite snapshots that use lost data (blobs that are missing, or damaged with no intact copy) into new snapshots\n" +
            "that restore everything that survives. It first runs the same analysis as 'cairn check' (with --read-data, the\n" +
            "full read). In each new snapshot:\n" +
            "  * a file that lost chunks keeps its size when the lost chunks' lengths are still known from the index: the\n" +
            "    lost ranges restore as zeros (holes) and every surviving byte stays at its offset; when a lost chunk's\n" +
            "    length is unknown (its index entry is gone, e.g. after 'repair index'), the file is cut where that chunk began;\n" +
            "  * a directory whose listing is lost restores as an empty directory;\n" +
            "  * every such entry is flagged 'data lost' and listed in the snapshot's warnings; the snapshot gets status\n" +
            "    partial and the tag 'repaired', keeps the original's time, host and paths, and records the original's id.\n" +
            "Without --forget the originals are kept (as restic does): remove them later with --forget or 'cairn forget'.\n" +
            "A snapshot whose root tree is lost cannot be repaired and is left alone (exit code 14).\n\n" +
            "Run 'cairn repair index' first when packs are missing or truncated, so that new backups store that data again\n" +
            "instead of relying on the index's stale entries.\n\n" +
            "Examples:\n" +
            "  cairn repair snapshots --dry-run\n" +
            "  cairn repair snapshots --forget\n" +
            "  cairn repair snapshots 3fa2c1d0 --read-data");
        command.Add(snapshotsArg);
        foreach (var option in new Option[] { forget, dryRun, readData }) command.Add(option);
        var selection = SnapshotSelection.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, session.Get(dryRun) ? LockKind.Shared : LockKind.Exclusive, loadIndex: false).ConfigureAwait(false);
            var checker = new Checker(repository, new CheckOptions { ReadData = session.Get(readData) ? PackSubset.All : null });
            var p = checker.Progress;
            var report = await ProgressDisplay.RunAsync(session, checker.RunAsync(ct), () => $"checking: {p.Phase}").ConfigureAwait(false);
            foreach (var f in report.DamagedSnapshots)
                session.Warn($"snapshot file {f.Name} cannot be read ({f.Problem}), so it cannot be repaired");
            if (report.UnreferencedPacks.Count > 0 && report.DamagedBlobs.Any(b => b.PackId is null))
                session.Warn($"{report.UnreferencedPacks.Count} packs are not in the index and may hold blobs this repair treats as lost " +
                             "(an index file was lost?): run 'cairn repair index' first");
            if (report.DamagedPacks.Count > 0 || report.DamagedIndexFiles.Count > 0)
                session.Warn("the index still names damaged or missing packs, or some index files are damaged: run 'cairn repair index' too, " +
                             "so that new backups store the lost data again");

            var structurallyDamaged = report.DamagedPacks.Select(d => d.PackId).ToHashSet();
            int corruptInIntactPacks = report.DamagedBlobs.Count(b => !b.HasIntactCopy && b.PackId is { } pack && !structurallyDamaged.Contains(pack));
            if (corruptInIntactPacks > 0)
                session.Warn($"{corruptInIntactPacks} corrupt blobs stay listed in the index until prune rewrites their packs; until then a backup " +
                             "of the same data may reuse them: run 'cairn check --read-data' after the next backup");

            var refs = session.Get(snapshotsArg) ?? [];
            var filter = selection.Read(session);
            List<Snapshot> chosen;
            if (refs.Length == 0)
            {
                chosen = [.. report.SnapshotList.Where(filter.Matches)];
            }
            else
            {
                var ids = new HashSet<ObjectId>();
                foreach (var reference in refs) ids.Add((await selection.FindAsync(repository, session, reference, ct).ConfigureAwait(false)).Id);
                chosen = [.. report.SnapshotList.Where(s => ids.Contains(s.Id))];
            }
            bool dry = session.Get(dryRun);
            var repairs = report.LostBlobs.Count == 0 ? []
                : await new SnapshotRepairer(repository, report.LostBlobs, new SnapshotRepairOptions { DryRun = dry, Forget = session.Get(forget) })
                    .RunAsync(chosen, report.SnapshotList, ct).ConfigureAwait(false);

            if (session.Json)
            {
                session.WriteJson(new
                {
                    DryRun = dry,
                    LostBlobs = report.LostBlobs.Count,
                    Snapshots = repairs.Select(r => new
                    {
                        Original = r.Original.Id.ToString(),
                        Repaired = r.Repaired is { } s && (!dry || r.EarlierRepair) ? s.Id.ToString() : null,
                        Removed = r.OriginalRemoved,
                        r.EarlierRepair,
                        r.Unrepairable,
                        Lost = r.Lost.Select(l => new { l.Path, l.Message }),
                    }),
                });
            }
            else
            {
                Print(session, repairs, dry, report.LostBlobs.Count);
            }
            return repairs.Exists(r => r.Unrepairable is not null) ? (int)ExitCode.Integrity : 0;
        });
        return command;
    }

    private static void Print(Session session, List<SnapshotRepair> repairs, bool dry, int lostBlobs)
    {
        var o = session.Out;
        if (repairs.Count == 0)
        {
            session.Info(lostBlobs == 0 ? "no blob is lost: there is nothing to repair" : "none of the selected snapshots uses lost data");
            return;
        }
        foreach (var r in repairs)
        {
            var s = r.Original;
            o.WriteLine($"snapshot {s.Id.ToShortString()} ({Format.LocalTime(s.Time)}, {s.Hostname}, {string.Join(", ", s.Paths)}):");
            if (r.Unrepairable is { } why)
            {
                o.WriteLine($"  cannot be repaired: {why}");
                continue;
            }
            foreach (var l in r.Lost) o.WriteLine($"  {l.Path}: {l.Message}");
            if (r.EarlierRepair)
                o.WriteLine($"  already repaired as snapshot {r.Repaired!.Id.ToShortString()}; " + (r.OriginalRemoved ? "the original was removed"
                    : dry ? "nothing to do" : "the original is kept (remove it with --forget)"));
            else if (dry) o.WriteLine("  would be saved as a new snapshot tagged 'repaired'");
            else o.WriteLine($"  saved as snapshot {r.Repaired!.Id.ToShortString()}; " +
                             (r.OriginalRemoved ? "the original was removed" : "the original is kept (remove it with --forget)"));
        }
        int repaired = repairs.Count(r => r.Repaired is not null && !r.EarlierRepair);
        int unrepairable = repairs.Count(r => r.Unrepairable is not null);
        o.WriteLine(dry
            ? $"dry run: {repaired} snapshots would be rewritten, nothing was changed"
            : $"{repaired} snapshots rewritten, {repairs.Count(r => r.OriginalRemoved)} originals removed, {unrepairable} could not be repaired");
    }
}
