using System.CommandLine;
using System.Diagnostics;
using Cairn.Archiving.Restore;

namespace Cairn.Cli.Commands;

/// <summary>cairn restore: recreates a snapshot's files in a directory.</summary>
internal static class RestoreCommand
{
    public static Command Create(CommandContext context)
    {
        var snapshotArg = new Argument<string>("SNAPSHOT") { Description = "Snapshot id prefix, or latest." };
        var target = new Option<string?>("--target", "-t") { Description = "Directory to restore into; the snapshot's absolute paths are recreated below it (required without --component)." };
        var includes = new Option<string[]>("--include", "-i") { Description = "Restore only paths matching this glob, and what is below them (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var excludes = new Option<string[]>("--exclude", "-e") { Description = "Leave out paths matching this glob, and what is below them (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var verify = new Option<bool>("--verify") { Description = "Afterwards, read every restored file back and check it against the snapshot's chunk hashes." };
        var command = new Command("restore",
            "Restore a snapshot, or part of it, into a directory: contents, empty files and directories, symlinks, hardlinks,\n" +
            "permissions, owners (as root), modification times to the nanosecond, sparse files, extended attributes, FIFOs\n" +
            "and device nodes. Damaged or missing data does not stop the restore: each affected file is named on stderr with\n" +
            "the blob at fault, and the exit code is 14.\n\n" +
            "Data in an archive class (S3 GLACIER or DEEP_ARCHIVE, Azure Archive) must be thawed first: restore finds the\n" +
            "packs it needs that are archived before it writes anything, and stops with exit code 20 naming them, or with\n" +
            "--thaw requests their thaw and waits.\n\n" +
            "Examples:\n" +
            "  cairn restore latest --target /tmp/restore\n" +
            "  cairn restore 3fa2c1d0 --target / --include /etc/nginx\n" +
            "  cairn restore latest --target /tmp/r --exclude '*.log' --verify\n" +
            "  cairn restore latest --target /tmp/r --thaw --thaw-priority Expedited --thaw-wait 2h\n\n" +
            ComponentRestoreOptions.Help);
        command.Add(snapshotArg);
        foreach (var option in new Option[] { target, includes, excludes, verify }) command.Add(option);
        var component = ComponentRestoreOptions.AddTo(command);
        var selection = SnapshotSelection.AddTo(command);
        var thaw = ThawSettings.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            // A usage error is reported before the repository is opened (and its password asked for).
            bool ofComponent = component.IsRequested(session);
            var targetDirectory = session.Get(target);
            if (targetDirectory is null && !ofComponent)
                throw new CairnException("restore needs --target DIR (or --component NAME to restore one component of a job snapshot)", ExitCode.Usage);
            await using var repository = await RepositoryAccess.OpenForReadingAsync(session, ct).ConfigureAwait(false);
            var snapshot = await selection.FindAsync(repository, session, session.Get(snapshotArg), ct).ConfigureAwait(false);
            if (ofComponent) return await component.RunAsync(session, repository, snapshot, ct).ConfigureAwait(false);
            var restorer = new Restorer(repository, snapshot, new RestoreOptions
            {
                Target = targetDirectory!,
                Includes = session.Get(includes) ?? [],
                Excludes = session.Get(excludes) ?? [],
                Verify = session.Get(verify),
            });
            await thaw.EnsurePacksReadableAsync(session, repository.Blobs, restorer.FindPacksAsync, "restore", ct).ConfigureAwait(false);
            var stopwatch = Stopwatch.StartNew();
            var p = restorer.Progress;
            var result = await ProgressDisplay.RunAsync(session, restorer.RunAsync(ct),
                () => $"{p.FilesDone}/{p.TotalFiles} files, {Format.Bytes(p.BytesWritten)}/{Format.Bytes(p.TotalBytes)}",
                () => (p.BytesWritten, p.TotalBytes)).ConfigureAwait(false);
            foreach (var error in result.Errors) session.Env.Error.WriteLine($"cairn: error: {error.Path}: {error.Message}");
            if (session.Json)
            {
                session.WriteJson(new
                {
                    MessageType = "summary",
                    SnapshotId = snapshot.Id.ToString(),
                    FilesRestored = result.Files,
                    DirsRestored = result.Directories,
                    OtherRestored = result.OtherEntries,
                    BytesRestored = result.Bytes,
                    result.FilesVerified,
                    Errors = result.Errors.Count,
                    TotalDuration = stopwatch.Elapsed.TotalSeconds,
                });
            }
            else
            {
                session.Info($"restored snapshot {snapshot.Id.ToShortString()} to {Path.GetFullPath(targetDirectory!)}: " +
                             $"{result.Files} files, {result.Directories} dirs, {result.OtherEntries} other entries, {Format.Bytes(result.Bytes)} " +
                             $"in {Format.Duration(stopwatch.Elapsed)}");
                if (session.Get(verify)) session.Info($"verified {result.FilesVerified} files");
                if (result.Errors.Count > 0) session.Info($"{result.Errors.Count} errors: some files were not restored exactly");
            }
            return result.Errors.Count == 0 ? 0 : (int)ExitCode.Integrity;
        });
        return command;
    }
}
