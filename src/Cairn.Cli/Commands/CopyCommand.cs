using System.CommandLine;
using System.Text.Json.Nodes;
using Cairn.Maintenance.Copy;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands;

/// <summary>cairn copy: copies snapshots from another repository into this one.</summary>
internal static class CopyCommand
{
    public static Command Create(CommandContext context)
    {
        var ids = new Argument<string[]>("SNAPSHOT") { Description = "Source snapshots to copy (id prefixes or latest); default: all that match the filters.", Arity = ArgumentArity.ZeroOrMore };
        ids.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.StartsWith('-')) result.AddError($"unknown option '{token.Value}'");
        });
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Read and count everything, but write nothing to the destination." };
        var command = new Command("copy",
            "Copy snapshots from the source repository (--from-repo) into the repository (-r/$CAIRN_REPOSITORY), which\n" +
            "may have its own password. Only data the destination lacks is stored, and running the same copy again copies\n" +
            "nothing: a snapshot already in the destination is skipped. This is how a second repository at another\n" +
            "provider, or on other hardware, removes the single point of failure: 'cairn copy' after every backup.\n\n" +
            "The source's password comes from --from-password-file, $CAIRN_FROM_PASSWORD_FILE, $CAIRN_FROM_PASSWORD_COMMAND\n" +
            "or $CAIRN_FROM_PASSWORD; its location from --from-repo or $CAIRN_FROM_REPOSITORY. --host, --tag and --path\n" +
            "select source snapshots (and narrow 'latest'); snapshot ids select exactly those.\n\n" +
            "Two kinds of destination:\n" +
            "  related (created with 'cairn init --from-repository SRC'): both share the master secret, so blobs and\n" +
            "    snapshots keep their ids; missing blobs are copied and a snapshot is skipped when its id exists.\n" +
            "  unrelated (any other): ids are keyed per repository, so every chunk copied is read, re-hashed with the\n" +
            "    destination's key and stored, and trees are rewritten with the new ids. The copy records the source\n" +
            "    snapshot's id in 'copied_from', which marks it as already copied. Before copying, the newest earlier copy\n" +
            "    of each host and paths is compared tree by tree with its original to learn the ids of data already\n" +
            "    there, so a new snapshot reads only its new chunks. Backups made directly into an unrelated destination\n" +
            "    do not deduplicate against copied data (their chunk boundaries differ); related ones do.\n\n" +
            "Each snapshot is written only after its data and index are stored, so an interrupted copy leaves every\n" +
            "snapshot complete and continues where it stopped when run again. Source data in an archive class (S3 GLACIER\n" +
            "or DEEP_ARCHIVE, Azure Archive) is found before anything is copied: copy stops with exit code 20 naming it, or\n" +
            "with --thaw requests a thaw and waits. --json prints one object: related, dry_run,\n" +
            "snapshots (per snapshot: id, short_id, time, hostname, paths, tags, action copied/skipped, copy_id,\n" +
            "blobs_added, bytes_added, bytes_added_stored, blobs_read, bytes_read) and the totals.\n\n" +
            "Exit codes: 0 done (also when everything was there already); 2 no source given, or it is the destination;\n" +
            "10 no source or destination repository; "  +
            "12 a wrong password (the message says which repository); 14 damaged data in the source; 17 a named snapshot\n" +
            "does not exist in the source; 20 source data is in cold storage (see --thaw).\n\n" +
            "Examples:\n" +
            "  cairn -r /mnt/offsite copy --from-repo /srv/backup/repo --from-password-file /root/.cairn-pass\n" +
            "  CAIRN_FROM_REPOSITORY=/srv/backup/repo CAIRN_FROM_PASSWORD_FILE=/root/.pass cairn copy --host web1 --tag daily\n" +
            "  cairn copy --from-repo /srv/backup/repo latest 3fa2c1d0\n" +
            "  cairn copy --from-repo /srv/backup/repo --dry-run --json | jq '.blobs_added'");
        command.Add(ids);
        command.Add(dryRun);
        var from = SourceRepositoryOptions.AddTo(command, "--from-repo", "--from-repository",
            "The repository to copy from (also $CAIRN_FROM_REPOSITORY).");
        var selection = SnapshotSelection.AddTo(command);
        var thaw = ThawSettings.AddTo(command);

        context.SetAction(command, async (session, ct) =>
        {
            var sourceLocation = RepositoryAccess.Locate(session, from.Read(session));
            var destinationLocation = RepositoryAccess.Locate(session);
            if (sourceLocation.Address == destinationLocation.Address)
                throw new CairnException($"the source and the destination are the same repository ({sourceLocation.Display})", ExitCode.Usage);
            // Shared locks on both, source first: a prune of the source must not pull data from under the copy, and one
            // of the destination must not delete what the copy just added. Always in this order, so two copies in
            // opposite directions cannot wait for each other.
            await using var source = await RepositoryAccess.OpenAsync(session, sourceLocation, ct, LockKind.Shared).ConfigureAwait(false);
            await using var destination = await RepositoryAccess.OpenAsync(session, destinationLocation, ct, LockKind.Shared).ConfigureAwait(false);

            var requested = session.Get(ids) ?? [];
            var snapshots = requested.Length == 0
                ? await source.ListSnapshotsAsync(selection.Read(session), ct).ConfigureAwait(false)
                : [.. await Task.WhenAll(requested.Select(r => selection.FindAsync(source, session, r, ct))).ConfigureAwait(false)];

            bool dry = session.Get(dryRun);
            int done = 0, total = snapshots.DistinctBy(s => s.Id).Count();
            var copier = new SnapshotCopier(source, destination, new CopyOptions
            {
                DryRun = dry,
                OnSnapshot = outcome =>
                {
                    Interlocked.Increment(ref done);
                    Report(session, outcome, dry);
                },
            });
            await thaw.EnsurePacksReadableAsync(session, source.Blobs, token => copier.FindSourcePacksAsync(snapshots, token), "copy", ct).ConfigureAwait(false);
            if (!session.Json && !session.Quiet)
                session.Out.WriteLine(copier.Related
                    ? $"copying from related repository {source.Blobs.Location}: blobs and snapshots keep their ids"
                    : $"copying from {source.Blobs.Location}: ids are translated to the destination's keys");
            session.Out.Flush();
            var result = await ProgressDisplay.RunAsync(session, copier.RunAsync(snapshots, ct),
                () => $"copying snapshot {Math.Min(Volatile.Read(ref done) + 1, total)} of {total}: read {copier.BlobsRead} blobs, {Format.Bytes(copier.BytesRead)}; added {destination.Content.BlobsAdded} blobs, " +
                      Format.Bytes(destination.Content.RawBytesAdded)).ConfigureAwait(false);

            if (session.Json)
            {
                session.WriteJson(ToJson(result));
                return 0;
            }
            var totals = $"{result.BlobsAdded} blobs, {Format.Bytes(result.BytesAdded)} ({Format.Bytes(result.BytesAddedStored)} stored)";
            var read = $"read {result.BlobsRead} blobs, {Format.Bytes(result.BytesRead)} from the source" +
                       (result.SeedTreesRead > 0 ? $", and {result.SeedTreesRead} trees to match earlier copies" : "");
            session.Info(dry
                ? $"dry run: would copy {result.Copied} snapshots, {result.Skipped} already there; would add {totals}; {read}; nothing was written"
                : $"copied {result.Copied} snapshots, {result.Skipped} already there; added {totals}; {read}");
            return 0;
        });
        return command;
    }

    private static void Report(Session session, SnapshotCopyOutcome outcome, bool dry)
    {
        var s = outcome.Source;
        var what = $"snapshot {s.Id.ToShortString()} of [{string.Join(", ", s.Paths)}] at {Format.LocalTime(s.Time)} by {s.Hostname}";
        var copyId = outcome.CopyId?.ToShortString();
        session.Info(outcome.Action switch
        {
            CopyAction.Skipped => $"{what}: skipped, already there as {copyId}",
            _ when dry => $"{what}: would copy, adding {outcome.BlobsAdded} blobs, {Format.Bytes(outcome.BytesAdded)}",
            _ => $"{what}: copied as {copyId}, added {outcome.BlobsAdded} blobs, {Format.Bytes(outcome.BytesAdded)}",
        });
        // A long copy reports as it goes (stdout is otherwise block-buffered), except under the live progress line,
        // which stdout lines would tear; there the lines come at the end and the progress line names the snapshot.
        if (!session.ShowProgress) session.Out.Flush();
    }

    private static JsonObject ToJson(CopyResult result)
    {
        var snapshots = new JsonArray();
        foreach (var o in result.Snapshots)
        {
            snapshots.Add(Session.ToNode(new
            {
                Id = o.Source.Id.ToString(),
                ShortId = o.Source.Id.ToShortString(),
                o.Source.Time,
                o.Source.Hostname,
                o.Source.Paths,
                o.Source.Tags,
                Action = o.Action == CopyAction.Copied ? "copied" : "skipped",
                CopyId = o.CopyId?.ToString(),
                o.BlobsAdded,
                o.BytesAdded,
                o.BytesAddedStored,
                o.BlobsRead,
                o.BytesRead,
            }));
        }
        var node = Session.ToNode(new
        {
            result.Related,
            result.DryRun,
            result.Copied,
            result.Skipped,
            result.BlobsAdded,
            result.BytesAdded,
            result.BytesAddedStored,
            result.BlobsRead,
            result.BytesRead,
            result.SeedTreesRead,
        }).AsObject();
        node["snapshots"] = snapshots;
        return node;
    }
}
