using System.CommandLine;
using Cairn.Maintenance.Check;

namespace Cairn.Cli.Commands;

/// <summary>cairn check: verifies the repository and names what is damaged and which snapshot files that affects.</summary>
internal static class CheckCommand
{
    public static Command Create(CommandContext context)
    {
        var readData = new Option<bool>("--read-data") { Description = "Also read every pack and verify every blob in it: decrypt, decompress and re-hash." };
        var subset = new Option<string?>("--read-data-subset")
        {
            Description = "Like --read-data, for part of the packs: N% (a random N percent, e.g. 5% or 0.5%) or n/m (group n of m; " +
                          "a pack is in group (first 8 hex digits of its id, as a number, mod m) + 1, so 1/m … m/m read every pack once).",
        };
        var command = new Command("check",
            "Verify the repository and report exactly what is damaged, and which files of which snapshots lose data by it.\n" +
            "Nothing is modified.\n\n" +
            "By default it checks structure: every index and snapshot file decrypts; every snapshot's trees exist and decode;\n" +
            "every chunk the trees reference is in the index; every pack the index names exists and has the size the index\n" +
            "implies. Packs that no index names are listed as unreferenced: an interrupted backup leaves them, they are not\n" +
            "damage, and 'cairn prune' removes them.\n\n" +
            "--read-data also reads every pack the index names (in parallel, in large ranges) and verifies every blob in it:\n" +
            "decryption, decompression and keyed hash, and that the pack's header matches the index. --read-data-subset does\n" +
            "the same for part of the packs, so that a daily job covers the whole repository over a month.\n\n" +
            "Cold storage: the structure check reads no archived pack (S3 GLACIER or DEEP_ARCHIVE, Azure Archive). It\n" +
            "checks their sizes from the listing against the index; a pack whose header it would read (rare) and a tree in an\n" +
            "archived pack (older repositories mixed trees and data in packs) are reported as cold, not read, which is not\n" +
            "damage. --read-data first finds the selected packs that are archived and stops with exit code 20, or with\n" +
            "--thaw requests their thaw and waits.\n\n" +
            "The exit code is 0 when nothing is damaged and 14 when something is. Then run 'cairn repair index' (for damaged\n" +
            "index files, and missing or truncated packs) and 'cairn repair snapshots' (for snapshots that lost data).\n\n" +
            "Examples:\n" +
            "  cairn check\n" +
            "  cairn check --read-data\n" +
            "  cairn check --read-data-subset 10%\n" +
            "  cairn check --read-data-subset \"$(( $(date +%s) / 86400 % 30 + 1 ))/30\"   # daily: every pack every 30 days\n" +
            "  cairn check --json | jq '.affected[] | [.short_id, .path]'");
        command.Add(readData);
        command.Add(subset);
        var thaw = ThawSettings.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            thaw.Validate(session);
            await using var repository = await RepositoryAccess.OpenForReadingAsync(session, ct, loadIndex: false).ConfigureAwait(false);
            var options = new CheckOptions
            {
                ReadData = ReadDataOption(session, readData, subset),
                BeforeReadingData = (packs, token) => thaw.EnsureListedReadableAsync(session, repository.Blobs, packs, "check --read-data", token),
            };
            var checker = new Checker(repository, options);
            var p = checker.Progress;
            var report = await ProgressDisplay.RunAsync(session, checker.RunAsync(ct),
                () => p.PacksToRead == 0 ? p.Phase : $"{p.Phase}: {p.PacksRead}/{p.PacksToRead} packs, {Format.Bytes(p.BytesRead)}/{Format.Bytes(p.BytesToRead)}",
                options.ReadData is null ? null : () => (p.BytesRead, p.BytesToRead)).ConfigureAwait(false);
            if (session.Json) session.WriteJson(ToJson(report));
            else Print(session, report);
            return report.IsClean ? 0 : (int)ExitCode.Integrity;
        });
        return command;
    }

    /// <summary>--read-data and --read-data-subset as one value: null for a structure-only check.</summary>
    public static PackSubset? ReadDataOption(Session session, Option<bool> readData, Option<string?> subset)
    {
        var text = session.Get(subset);
        if (text is not null && session.Get(readData))
            throw new CairnException("--read-data and --read-data-subset exclude each other: give one", ExitCode.Usage);
        return text is not null ? PackSubset.Parse(text) : session.Get(readData) ? PackSubset.All : null;
    }

    public static object ToJson(CheckReport r) => new
    {
        Clean = r.IsClean,
        r.Snapshots,
        r.IndexFiles,
        r.Packs,
        r.IndexedBlobs,
        r.Trees,
        r.DataBlobs,
        ReadData = r.ReadDataSubset is null ? null : new { Subset = r.ReadDataSubset, r.PacksRead, r.BlobsRead, r.BytesRead },
        DamagedIndexFiles = r.DamagedIndexFiles.Select(f => new { f.Name, f.Problem }),
        DamagedSnapshots = r.DamagedSnapshots.Select(f => new { Id = f.Name, f.Problem }),
        DamagedPacks = r.DamagedPacks.Select(p => new { Id = p.PackId.ToString(), p.Problem }),
        DamagedBlobs = r.DamagedBlobs.Select(b => new
        {
            Id = b.Id.ToString(),
            Type = b.Type.ToString().ToLowerInvariant(),
            Pack = b.PackId?.ToString(),
            b.Problem,
            IntactCopy = b.HasIntactCopy,
        }),
        Affected = r.Affected.Select(a => new
        {
            SnapshotId = a.SnapshotId.ToString(),
            ShortId = a.SnapshotId.ToShortString(),
            a.Path,
            Type = a.IsDirectory ? "dir" : "file",
            Blobs = a.LostBlobs.Select(b => b.ToString()),
        }),
        UnreferencedPacks = r.UnreferencedPacks.Select(p => p.ToString()),
        Cold = r.ArchivedPacks == 0 && r.ColdTrees.Count == 0 ? null : new
        {
            r.ArchivedPacks,
            r.ArchivedBytes,
            StorageClasses = r.ArchivedClasses,
            PackHeadersNotRead = r.ColdPackHeaders.Select(p => p.ToString()),
            TreesNotRead = r.ColdTrees.Select(t => new { Id = t.TreeId.ToString(), t.Path }),
        },
    };

    // Cold data is not damage: one line each for what is archived and what the check therefore did not read.
    private static void PrintCold(Session session, CheckReport r)
    {
        if (r.ArchivedPacks > 0)
            session.Info($"{r.ArchivedPacks} packs ({Format.Bytes(r.ArchivedBytes)}) are in cold storage ({string.Join(", ", r.ArchivedClasses)}): " +
                         (r.ReadDataSubset is null ? "their sizes were checked against the index; their content was not read (check --read-data --thaw reads it)"
                                                   : "their sizes were checked against the index"));
        if (r.ColdPackHeaders.Count > 0)
            session.Info($"{r.ColdPackHeaders.Count} archived packs need their header read to be checked: cold, not read");
        if (r.ColdTrees.Count > 0)
            session.Info($"{r.ColdTrees.Count} trees are in archived packs (first at {r.ColdTrees[0].Path}): cold, not read, nor anything below them. " +
                         "Their packs mix trees and data (an older layout) and were archived by hand or by a lifecycle rule: move them back to a hot class");
    }

    private static void Print(Session session, CheckReport r)
    {
        var o = session.Out;
        session.Info($"checked {r.Snapshots} snapshots, {r.IndexFiles} index files, {r.Packs} packs ({r.IndexedBlobs} blobs indexed), " +
                     $"{r.Trees} trees, {r.DataBlobs} data chunks");
        if (r.ReadDataSubset is not null)
            session.Info($"read {r.PacksRead} packs ({r.ReadDataSubset}): {r.BlobsRead} blobs, {Format.Bytes(r.BytesRead)}");
        // Blobs that no index lists may sit in packs that no index names, when an index file was lost: rebuilding the index
        // finds them, and pruning or cutting them out of the snapshots first would throw them away.
        bool maybeUnindexed = r.UnreferencedPacks.Count > 0 && r.DamagedBlobs.Any(b => b.PackId is null);
        if (maybeUnindexed)
            session.Info($"{r.UnreferencedPacks.Count} packs are not in the index: they may hold the blobs that are missing below " +
                         "(run 'cairn repair index' first, and do not prune before it)");
        else if (r.UnreferencedPacks.Count > 0)
            session.Info($"{r.UnreferencedPacks.Count} packs are not in the index (left by interrupted backups, not damage; 'cairn prune' removes them)");
        PrintCold(session, r);
        if (r.IsClean)
        {
            session.Info("no errors were found");
            return;
        }
        // Damage is printed even with --quiet: it is what the command is for.
        foreach (var f in r.DamagedIndexFiles) o.WriteLine($"damaged index file {f.Name}: {f.Problem}");
        foreach (var f in r.DamagedSnapshots) o.WriteLine($"damaged snapshot file {f.Name}: {f.Problem}");
        foreach (var p in r.DamagedPacks) o.WriteLine($"damaged pack {p.PackId}: {p.Problem}");
        foreach (var b in r.DamagedBlobs)
            o.WriteLine($"damaged {b.Type.ToString().ToLowerInvariant()} blob {b.Id}" + (b.PackId is { } pack ? $" in pack {pack}" : "") +
                        $": {b.Problem}" + (b.HasIntactCopy ? " (another pack holds an intact copy)" : ""));
        if (r.Affected.Count > 0)
        {
            o.WriteLine("lost data in snapshots:");
            foreach (var a in r.Affected)
                o.WriteLine($"  {a.SnapshotId.ToShortString()}  {a.Path}" + (a.IsDirectory ? "  (directory listing lost)" : $"  ({a.LostBlobs.Count} lost chunks)"));
        }
        var snapshots = r.Affected.Select(a => a.SnapshotId).Distinct().Count();
        o.WriteLine($"the repository is damaged: {r.DamagedPacks.Select(p => p.PackId).Distinct().Count()} packs, {r.DamagedBlobs.Count} blobs, " +
                    $"{r.DamagedIndexFiles.Count} index files, {r.DamagedSnapshots.Count} snapshot files; " +
                    $"{r.Affected.Count} entries of {snapshots} snapshots lost data");
        bool rebuild = r.DamagedIndexFiles.Count > 0 || r.DamagedPacks.Count > 0 || maybeUnindexed;
        if (rebuild)
            o.WriteLine("to rebuild the index from the packs that remain: cairn repair index");
        if (r.Affected.Count > 0)
            o.WriteLine((rebuild ? "then, if check still finds lost data, " : "") + "to rewrite the affected snapshots without their lost data: cairn repair snapshots" +
                        (r.ReadDataSubset is null ? "" : " --read-data") + " (see --help)");
    }
}
