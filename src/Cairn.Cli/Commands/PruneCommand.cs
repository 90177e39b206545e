using System.CommandLine;
using System.Globalization;
using Cairn.Maintenance.Prune;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands;

/// <summary>cairn prune: deletes data that no snapshot references, repacking partly used packs.</summary>
internal static class PruneCommand
{
    /// <summary>How many refusal reasons are printed; check prints them all.</summary>
    private const int ProblemsShown = 10;

    public static Command Create(CommandContext context)
    {
        var command = new Command("prune",
            "Delete data that no snapshot references any more (after 'cairn forget', or left by interrupted backups).\n\n" +
            "Prune reads every snapshot, tree and index file, then sorts the packs: packs with no used blob are deleted;\n" +
            "packs no index names are deleted; partly used packs are repacked (their used blobs copied into new packs,\n" +
            "then the old pack deleted) while the unused space left in the repository exceeds --max-unused, worst first and\n" +
            "within --max-repack-size. It writes the new packs, then a new index, then deletes the old index files, then\n" +
            "the old packs: stopping it at any moment (Ctrl-C, kill -9, power loss) leaves every snapshot restorable, and\n" +
            "the next prune finishes the job.\n\n" +
            "Prune refuses to run, deleting nothing and exiting with 14, if any snapshot refers to data the repository\n" +
            "does not have, a tree cannot be read, or a pack the index names is missing or has the wrong size: run\n" +
            "'cairn check' to see the damage and 'cairn repair index' to rebuild the index from the packs.\n\n" +
            "Prune holds the exclusive lock (a dry run takes none), so it fails with 11 while a backup runs.\n" +
            "Memory grows with the number of blobs in the repository (about 300 bytes each), not with their size.\n\n" +
            "Cold storage: planning reads no pack content, so prune runs on a repository whose data packs are archived (S3\n" +
            "GLACIER or DEEP_ARCHIVE, Azure Archive). Unused archived packs are deleted without being read; partly used ones\n" +
            "are kept as they are, not repacked (the plan counts them), because repacking reads them. With --thaw they are\n" +
            "repacked like any other: prune first plans without a lock, requests their thaw and waits (backups keep running),\n" +
            "then takes the lock and plans again. Mind the costs: a thaw is billed per GB, and deleting or repacking a pack\n" +
            "before its class's minimum storage duration (S3 GLACIER 90 days, DEEP_ARCHIVE 180; Azure Cool 30, Cold 90,\n" +
            "Archive 180) is billed as if it had stayed that long.\n\n" +
            "Examples:\n" +
            "  cairn prune --dry-run\n" +
            "  cairn prune\n" +
            "  cairn prune --max-unused 0              # repack every partly used pack\n" +
            "  cairn prune --max-unused unlimited      # only delete whole packs, never repack\n" +
            "  cairn prune --max-repack-size 10G --json\n" +
            "  cairn prune --thaw --thaw-priority Bulk   # also repack partly used archived packs\n" +
            "  cairn --config cairn.yaml prune --target glacier   # a config target, with its prune: settings");
        var settings = PruneSettings.AddTo(command);
        var configTarget = new Option<string?>("--target")
        {
            Description = "Prune this target of the config instead of -r: its repository, password and data_storage_class, and its " +
                "prune: max_unused and max_repack_size unless --max-unused or --max-repack-size are given (what 'cairn daemon' runs on its prune schedule).",
            HelpName = "NAME",
        };
        command.Add(configTarget);
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Print what would be deleted and repacked, and change nothing." };
        command.Add(dryRun);
        var thaw = ThawSettings.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            var options = settings.Read(session);
            // The planner reads the index files itself (every copy of every blob) and fills the merged index as it goes.
            Func<LockKind?, CancellationToken, Task<Repository>> open = (kind, token) => RepositoryAccess.OpenAsync(session, token, kind, loadIndex: false);
            if (session.Get(configTarget) is { } name)
            {
                var config = ConfigAccess.Load(session);
                var target = config.Targets.TryGetValue(name, out var t) ? t
                    : throw new CairnException($"the config {config.SourcePath} has no target '{name}'" + (config.Targets.Count == 0 ? "" : ": it has " + string.Join(", ", config.Targets.Keys)), ExitCode.NotFound);
                var configured = Cairn.Orchestration.Retention.ScheduledPrune.Options(target.Prune);
                options = options with
                {
                    MaxUnused = session.Parse.GetResult(settings.MaxUnused) is { Implicit: false } ? options.MaxUnused : configured.MaxUnused,
                    MaxRepackBytes = options.MaxRepackBytes ?? configured.MaxRepackBytes,
                };
                open = (kind, token) => TargetAccess.OpenAsync(session, target, kind, token, loadIndex: false);
            }
            thaw.Validate(session);
            bool dry = session.Get(dryRun);
            if (thaw.Enabled(session))
            {
                options = options with { RepackArchived = true };
                if (!dry) await ThawBeforeLockingAsync(session, options, thaw, open, ct).ConfigureAwait(false);
            }
            // The exclusive lock is held, its lease refreshed, from before the plan until the last delete (the pruner
            // checks the lease before each deleting phase): a running backup's packs are not indexed yet and would
            // look like leftovers. A dry run deletes nothing and needs no lock.
            await using var repository = await open(dry ? null : LockKind.Exclusive, ct).ConfigureAwait(false);
            return await RunAsync(session, repository, options, dry, ct, thaw).ConfigureAwait(false);
        });
        return command;
    }

    // A thaw takes hours; waiting for it under the exclusive lock would stop every backup meanwhile. So prune --thaw plans
    // once without a lock, thaws what that plan repacks, and only then locks and plans for real (which finds them readable).
    private static async Task ThawBeforeLockingAsync(Session session, PruneOptions options, ThawSettings thaw,
        Func<LockKind?, CancellationToken, Task<Repository>> open, CancellationToken cancellationToken)
    {
        await using var unlocked = await open(null, cancellationToken).ConfigureAwait(false);
        if (!Cairn.Storage.ColdData.CanArchive(unlocked.Blobs)) return;
        session.Info("finding archived packs to repack (without a lock)...");
        var plan = await PrunePlanner.PlanAsync(unlocked, options, cancellationToken).ConfigureAwait(false);
        // A plan with problems is refused by the real run, which reports them.
        if (plan.Problems.Count == 0)
            await thaw.EnsureListedReadableAsync(session, unlocked.Blobs, plan.ArchivedPacksToRepack, "prune", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Plans, prints, and (unless <paramref name="dryRun"/>) carries out a prune; returns the exit code. Also used by
    /// forget --prune, on the repository it already holds (under the exclusive lock unless it is a dry run).
    /// </summary>
    public static async Task<int> RunAsync(Session session, Repository repository, PruneOptions options, bool dryRun, CancellationToken cancellationToken,
        ThawSettings? thaw = null)
    {
        session.Info("loading snapshots, trees, index and the list of packs...");
        var plan = await PrunePlanner.PlanAsync(repository, options, cancellationToken).ConfigureAwait(false);
        if (plan.Problems.Count > 0) return Refuse(session, plan);
        var s = plan.Statistics;
        PrintPlan(session, s, options);
        if (dryRun)
        {
            if (session.Json) session.WriteJson(new { DryRun = dryRun, Plan = s, Result = (PruneResult?)null });
            else session.Info(!plan.HasWork ? "nothing to prune" : "dry run: nothing was changed");
            return 0;
        }
        // Only prune --thaw plans to repack archived packs; normally they were thawed before the lock was taken.
        if (thaw is not null && plan.ArchivedPacksToRepack.Count > 0)
            await thaw.EnsureListedReadableAsync(session, repository.Blobs, plan.ArchivedPacksToRepack, "prune", cancellationToken).ConfigureAwait(false);
        // Even with nothing to delete, the pruner clears what killed backups left behind.
        var result = await Pruner.ExecuteAsync(repository, plan, options, cancellationToken).ConfigureAwait(false);
        if (!plan.HasWork && !session.Json)
        {
            session.Info("nothing to prune");
            PrintAbandoned(session, result);
            return 0;
        }
        if (session.Json)
        {
            session.WriteJson(new { DryRun = false, Plan = s, Result = result });
            return 0;
        }
        if (result.PacksRepacked > 0)
            session.Info($"repacked {Count(result.PacksRepacked, "pack")} into {Count(result.PacksWritten, "new pack")}: " +
                $"{Count(result.BlobsRepacked, "blob")}, {Format.Bytes(result.BytesWritten)} written");
        if (result.IndexFilesWritten + result.IndexFilesDeleted > 0)
            session.Info($"wrote {Count(result.IndexFilesWritten, "index file")}, deleted {Count(result.IndexFilesDeleted, "superseded index file")}");
        session.Info($"deleted {Count(result.PacksDeleted, "pack")} ({Format.Bytes(result.BytesDeleted)})");
        PrintAbandoned(session, result);
        session.Info($"freed {Format.Bytes(result.BytesFreed)}; the repository now holds {Format.Bytes(s.TotalBytes - result.BytesDeleted + result.BytesWritten)}, " +
            $"{Format.Bytes(result.UnusedBytesRemaining)} of it unused");
        return 0;
    }

    private static void PrintAbandoned(Session session, PruneResult result)
    {
        if (result.AbandonedFilesDeleted > 0)
            session.Info($"deleted {Count(result.AbandonedFilesDeleted, "temporary file")} left by interrupted backups ({Format.Bytes(result.AbandonedBytesDeleted)})");
    }

    private static void PrintPlan(Session session, PruneStatistics s, PruneOptions options)
    {
        session.Info($"repository: {Count(s.Packs, "pack")}, {Format.Bytes(s.TotalBytes)}, {Count(s.IndexFiles, "index file")}");
        session.Info($"used by {Count(s.Snapshots, "snapshot")}: {Count(s.UsedBlobs, "blob")}, {Format.Bytes(s.UsedBytes)}");
        session.Info($"unused:      {Count(s.UnusedBlobs, "blob")}, {Format.Bytes(s.UnusedBytes)}" +
            (s.DuplicateBlobs > 0 ? $" (including {Count(s.DuplicateBlobs, "duplicate copy", "duplicate copies")})" : ""));
        session.Info($"to delete:   {Count(s.PacksToDelete, "pack")} with no used blob, {Format.Bytes(s.BytesToDelete)}");
        if (s.UnindexedPacks > 0)
            session.Info($"             {Count(s.UnindexedPacks, "pack")} that no index names, {Format.Bytes(s.UnindexedBytes)}");
        session.Info($"to repack:   {Count(s.PacksToRepack, "pack")}, {Format.Bytes(s.BytesToRepack)}: " +
            $"copy {Count(s.BlobsToCopy, "used blob")} ({Format.Bytes(s.BytesToCopy)}), drop {Format.Bytes(s.BytesToRepack - s.BytesToCopy)}");
        session.Info($"to keep:     {Count(s.PacksToKeep, "pack")}, {Format.Bytes(s.UnusedBytesAfter)} unused left " +
            $"(--max-unused {options.MaxUnused}: {(options.MaxUnused.IsUnlimited ? "no limit" : "at most " + Format.Bytes(s.MaxUnusedBytes))})");
        if (s.ArchivedPacks > 0)
        {
            session.Info($"cold:        {Count(s.ArchivedPacks, "pack")} in cold storage, {Format.Bytes(s.ArchivedBytes)}");
            if (s.ArchivedPacksToDelete > 0)
                session.Info($"             {Count(s.ArchivedPacksToDelete, "cold pack")} to delete ({Format.Bytes(s.ArchivedBytesToDelete)}) without reading them; " +
                             "early-deletion fees apply to packs younger than their class's minimum storage duration");
            if (s.ArchivedPacksKept > 0)
                session.Info($"             {Count(s.ArchivedPacksKept, "partly used cold pack")} kept, not repacked ({Format.Bytes(s.ArchivedUnusedBytesKept)} unused): " +
                             "repacking would read them; 'cairn prune --thaw' does");
            if (s.ArchivedPacksToRepack > 0)
                session.Info($"             {Count(s.ArchivedPacksToRepack, "cold pack")} to repack ({Format.Bytes(s.ArchivedBytesToRepack)}): thawed first");
        }
        if (s.PacksListedAgain > 0)
            session.Info($"to merge:    {Count(s.PacksListedAgain, "pack")} listed by more than one index file (left by an interrupted prune)");
        session.Info($"will free:   {Format.Bytes(s.BytesToFree)}");
    }

    private static int Refuse(Session session, PrunePlan plan)
    {
        var error = session.Env.Error;
        error.WriteLine($"cairn: prune refused: the repository has missing or damaged data ({Count(plan.TotalProblems, "problem")}); nothing was deleted");
        foreach (var problem in plan.Problems.Take(ProblemsShown)) error.WriteLine("cairn:   " + problem);
        if (plan.TotalProblems > ProblemsShown) error.WriteLine($"cairn:   ... and {plan.TotalProblems - ProblemsShown} more");
        error.WriteLine("cairn: run 'cairn check' for the full report, and 'cairn repair index' to rebuild the index from the packs");
        if (session.Json) session.WriteJson(new { Refused = true, plan.TotalProblems, plan.Problems });
        return (int)ExitCode.Integrity;
    }

    private static string Count(long n, string singular, string? plural = null) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? singular : plural ?? singular + "s");

    /// <summary>--max-unused and --max-repack-size, shared with forget --prune.</summary>
    internal sealed class PruneSettings
    {
        public Option<string> MaxUnused { get; } = new("--max-unused")
        {
            Description = "Tolerate this much unused space in the repository after prune: a percentage of its size (\"5%\", the default), " +
                "a size (\"1G\"), or \"unlimited\". Partly used packs are repacked, worst first, until the unused space is under it; " +
                "0 repacks every partly used pack.",
            DefaultValueFactory = _ => "5%",
        };

        public Option<string?> MaxRepackSize { get; } = new("--max-repack-size")
        {
            Description = "Repack at most this many bytes of packs in this run (e.g. \"500M\", \"10G\"): bounds the time and the data read and written.",
        };

        public static PruneSettings AddTo(Command command)
        {
            var settings = new PruneSettings();
            command.Add(settings.MaxUnused);
            command.Add(settings.MaxRepackSize);
            return settings;
        }

        public PruneOptions Read(Session session)
        {
            long? maxRepack = null;
            if (session.Get(MaxRepackSize) is { } size)
                maxRepack = ByteSizes.TryParse(size) ?? throw new CairnException($"--max-repack-size '{size}' is not a size: use e.g. 500M or 10G", ExitCode.Usage);
            return new PruneOptions { MaxUnused = ParseLimit(session.Get(MaxUnused)), MaxRepackBytes = maxRepack };
        }

        private static UnusedLimit ParseLimit(string text) => UnusedLimit.TryParse(text, out var limit) ? limit
            : throw new CairnException($"--max-unused '{text}' is not a limit: use a percentage from 0% to 100%, a size such as 1G, or 'unlimited'", ExitCode.Usage);
    }
}
