using System.CommandLine;
using System.Globalization;
using Cairn.Archiving.Backup;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands;

/// <summary>cairn backup: stores directories and files as a new snapshot.</summary>
internal static class BackupCommand
{
    public static Command Create(CommandContext context)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files and directories to back up.", Arity = ArgumentArity.OneOrMore };
        // The parser hands unknown options to a many-valued argument as values; catch them here as the typos they are.
        paths.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.Length > 1 && token.Value[0] == '-' && !File.Exists(token.Value) && !Directory.Exists(token.Value))
                    result.AddError($"unknown option '{token.Value}' (to back up a path that starts with '-', write ./{token.Value})");
        });
        var tags = new Option<string[]>("--tag") { Description = "Tag the snapshot (repeatable, or comma separated).", Arity = ArgumentArity.ZeroOrMore };
        var host = new Option<string?>("--host", "-H") { Description = "Host name to record (default: this machine's)." };
        var time = new Option<string?>("--time") { Description = "Record this time instead of now, for imports: RFC 3339 or \"2006-01-02 15:04:05\" (local)." };
        var excludes = new Option<string[]>("--exclude", "-e") { Description = "Leave out paths matching this glob (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var excludeFiles = new Option<string[]>("--exclude-file") { Description = "Read exclude globs from a file, one per line, # comments (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var oneFileSystem = new Option<bool>("--one-file-system", "-x") { Description = "Do not cross filesystem boundaries: mount points are kept as empty directories." };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Read and chunk everything and report what would be added, but write nothing." };
        var parent = new Option<string?>("--parent") { Description = "Compare against this snapshot (id prefix or latest) instead of the latest one with the same host and paths." };
        var force = new Option<bool>("--force") { Description = "Read every file again, even those unchanged since the parent snapshot." };

        var command = new Command("backup",
            "Back up files and directories into a new snapshot. Files whose size, modification time, change time and inode\n" +
            "are unchanged since the parent snapshot are not read again; data already in the repository is not stored twice.\n" +
            "Unreadable files are reported as warnings, the snapshot is marked partial, and the exit code is 3.\n" +
            "Takes a shared lock: backups (also from other hosts) run side by side; prune and other exclusive operations wait.\n" +
            "With no repository configured, the embedded default repository is used, and created on first use.\n\n" +
            "Examples:\n" +
            "  cairn backup ~/projects\n" +
            "  cairn -r /mnt/backup backup /etc /srv --tag nightly --exclude '*.tmp' --exclude-file /etc/cairn/excludes\n" +
            "  cairn backup --time '2020-01-02 03:04:05' --host oldserver /import/oldserver\n" +
            "  cairn backup --dry-run --json /srv");
        command.Add(paths);
        foreach (var option in new Option[] { tags, host, time, excludes, excludeFiles, oneFileSystem, dryRun, parent, force }) command.Add(option);

        context.SetAction(command, async (session, ct) =>
        {
            var allExcludes = (session.Get(excludes) ?? []).Concat((session.Get(excludeFiles) ?? []).SelectMany(ReadExcludeFile)).ToList();
            var recordedTime = session.Get(time) is { } t ? ParseTime(t) : (DateTimeOffset?)null;
            await using var repository = await RepositoryAccess.OpenOrCreateDefaultAsync(session, LockKind.Shared, ct).ConfigureAwait(false);
            var lease = repository.Lease!;
            // A lost lease stops the backup early; the snapshot is refused in any case (SaveSnapshotAsync checks the lease).
            using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, lease.LostToken);
            ObjectId? parentId = null;
            if (session.Get(parent) is { } parentRef)
                parentId = (await repository.FindSnapshotAsync(parentRef, SnapshotFilter.All, run.Token).ConfigureAwait(false)).Id;
            var options = new BackupOptions
            {
                Paths = session.Get(paths),
                Hostname = session.Get(host) ?? Environment.MachineName,
                Tags = (session.Get(tags) ?? []).SelectMany(SnapshotSelection.SplitList).Distinct(StringComparer.Ordinal).ToList(),
                Time = recordedTime,
                Excludes = allExcludes,
                OneFileSystem = session.Get(oneFileSystem),
                DryRun = session.Get(dryRun),
                Parent = parentId,
                Force = session.Get(force),
            };
            var archiver = new Archiver(repository, options, session.Env.Time);
            var p = archiver.Progress;
            BackupResult result;
            try
            {
                result = await ProgressDisplay.RunAsync(session, archiver.RunAsync(run.Token),
                    () => $"{p.FilesNew + p.FilesChanged + p.FilesUnchanged} files, {Format.Bytes(p.TotalBytes)} seen, {Format.Bytes(p.BytesRead)} read" +
                          (p.Warnings > 0 ? $", {p.Warnings} warnings" : "")).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lease.IsLost && !ct.IsCancellationRequested)
            {
                lease.EnsureValid(); // throws the lost-lease error, exit code 11
                throw;
            }
            var snapshot = result.Snapshot;
            foreach (var warning in snapshot.Warnings) session.Warn($"{warning.Path}: {warning.Message}");
            if (p.ColdParentTrees > 0)
                session.Warn($"{p.ColdParentTrees} directory listings of the parent snapshot are in cold storage (an archived pack of an older " +
                             "repository layout): those directories were read in full; nothing is stored twice");
            Report(session, result);
            return snapshot.Status == SnapshotStatus.Complete ? 0 : (int)ExitCode.Partial;
        });
        return command;
    }

    private static void Report(Session session, BackupResult result)
    {
        var s = result.Snapshot;
        var sum = s.Summary ?? new SnapshotSummary();
        if (session.Json)
        {
            session.WriteJson(new
            {
                MessageType = "summary",
                SnapshotId = result.DryRun ? null : s.Id.ToString(),
                ShortId = result.DryRun ? null : s.Id.ToShortString(),
                DryRun = result.DryRun,
                Status = s.Status.ToString().ToLowerInvariant(),
                sum.FilesNew,
                sum.FilesChanged,
                sum.FilesUnchanged,
                FilesUnmodified = sum.FilesUnchanged,
                sum.DirsNew,
                sum.DirsChanged,
                sum.DirsUnchanged,
                DirsUnmodified = sum.DirsUnchanged,
                sum.BlobsAdded,
                DataAdded = sum.BytesAdded,
                DataAddedPacked = sum.BytesAddedStored,
                TotalFilesProcessed = sum.FilesNew + sum.FilesChanged + sum.FilesUnchanged,
                TotalBytesProcessed = sum.TotalBytes,
                sum.BytesRead,
                TotalDuration = sum.DurationSeconds,
                Warnings = s.Warnings.Count,
            });
            return;
        }
        session.Info($"Files:       {sum.FilesNew} new, {sum.FilesChanged} changed, {sum.FilesUnchanged} unchanged");
        session.Info($"Dirs:        {sum.DirsNew} new, {sum.DirsChanged} changed, {sum.DirsUnchanged} unchanged");
        session.Info($"Added to the repository: {Format.Bytes(sum.BytesAdded)} ({Format.Bytes(sum.BytesAddedStored)} stored)");
        session.Info("");
        session.Info($"processed {sum.FilesNew + sum.FilesChanged + sum.FilesUnchanged} files, {Format.Bytes(sum.TotalBytes)} " +
                     $"({Format.Bytes(sum.BytesRead)} read) in {Format.Duration(TimeSpan.FromSeconds(sum.DurationSeconds))}");
        if (s.Warnings.Count > 0) session.Info($"{s.Warnings.Count} warnings: the snapshot is partial");
        session.Info(result.DryRun ? "dry run: nothing saved" : $"snapshot {s.Id.ToShortString()} saved");
    }

    private static IEnumerable<string> ReadExcludeFile(string file)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read exclude file {file}: {e.Message}", ExitCode.Usage, e);
        }
        return lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'));
    }

    internal static DateTimeOffset ParseTime(string text)
    {
        string[] formats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"];
        if (DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var local)) return local;
        if (text.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var rfc3339)) return rfc3339;
        throw new CairnException($"cannot parse --time '{text}': use RFC 3339 (2006-01-02T15:04:05Z) or \"2006-01-02 15:04:05\"", ExitCode.Usage);
    }
}
