using System.CommandLine;
using System.Diagnostics;
using Cairn.Orchestration.Export;

namespace Cairn.Cli.Commands;

/// <summary>cairn export: writes a snapshot, or one component of it, as a tar archive that opens without Cairn.</summary>
internal static class ExportCommand
{
    public static Command Create(CommandContext context)
    {
        var snapshotArg = new Argument<string>("SNAPSHOT") { Description = "Snapshot id prefix, or latest." };
        var output = new Option<string>("--output", "-o") { Description = "Existing directory to write the archive into.", Required = true };
        var component = new Option<string?>("--component") { Description = "Export only this component of a job snapshot." };
        var format = new Option<string>("--format")
        {
            Description = "tar.gz (gzip, opens everywhere; the default) or tar.zst (zstd: faster and smaller).",
            DefaultValueFactory = _ => "tar.gz",
        };
        format.AcceptOnlyFromAmong("tar.gz", "tar.zst");
        var command = new Command("export",
            "Write a snapshot, or one component of a job snapshot, as a self-contained archive for people who need plain\n" +
            "files without Cairn: a tar archive (PAX format) compressed with gzip or zstd, holding metadata.json first (the\n" +
            "snapshot's time, host, job, instance, environment, tags, components with tool and server versions, and a\n" +
            "SHA-256 of every file), then the files below data/ with their modes, owners, modification times, symlinks,\n" +
            "hardlinks, FIFOs and device nodes. Extract it with tar -xf (tar --zstd -xf, or zstd -d, for tar.zst).\n\n" +
            "The archive is named JOB-INSTANCE-TIME.tar.gz after the snapshot (HOST-TIME for a plain cairn backup,\n" +
            "-COMPONENT before the time with --component; TIME in UTC, e.g. 20250131T020000Z); when that name exists,\n" +
            "_1, _2, … is added: an existing file is never overwritten. The archive is written under a hidden temporary\n" +
            "name and renamed when complete, so an interrupted export leaves nothing under the final name. Every file is\n" +
            "read twice (to checksum it for metadata.json, which comes first, then to write it), and damaged data stops\n" +
            "the export before an archive exists. Data in an archive storage class needs --thaw, as for restore.\n\n" +
            "Exit codes: 2 the output directory does not exist; 14 damaged data; 17 no such snapshot or component;\n" +
            "20 data in an archive class.\n\n" +
            "Examples:\n" +
            "  cairn export latest --output /srv/exports\n" +
            "  cairn export 3fa2c1d0 --component db --output . --format tar.zst\n" +
            "  cairn export latest --host web1 --output /mnt/usb --json");
        command.Add(snapshotArg);
        foreach (var option in new Option[] { output, component, format }) command.Add(option);
        var selection = SnapshotSelection.AddTo(command);
        var thaw = ThawSettings.AddTo(command);
        context.SetAction(command, async (session, ct) =>
        {
            // Usage errors come before the repository is opened (and its password asked for).
            var directory = SnapshotExporter.OutputDirectory(session.Get(output));
            var exportFormat = ExportFormats.Parse(session.Get(format)) ?? throw new CairnException("--format must be tar.gz or tar.zst", ExitCode.Usage);
            await using var repository = await RepositoryAccess.OpenForReadingAsync(session, ct).ConfigureAwait(false);
            var snapshot = await selection.FindAsync(repository, session, session.Get(snapshotArg), ct).ConfigureAwait(false);
            var exporter = new SnapshotExporter(repository, snapshot, new ExportOptions
            {
                OutputDirectory = directory,
                Component = session.Get(component),
                Format = exportFormat,
                Time = session.Env.Time,
            });
            await thaw.EnsurePacksReadableAsync(session, repository.Blobs, exporter.FindPacksAsync, "export", ct).ConfigureAwait(false);
            var stopwatch = Stopwatch.StartNew();
            var p = exporter.Progress;
            var result = await ProgressDisplay.RunAsync(session, exporter.RunAsync(ct),
                () => $"checksummed {Format.Bytes(p.BytesChecksummed)}, written {Format.Bytes(p.BytesWritten)} of {Format.Bytes(p.TotalBytes)}",
                () => (p.BytesChecksummed + p.BytesWritten, 2 * p.TotalBytes)).ConfigureAwait(false);
            foreach (var warning in result.Warnings) session.Warn(warning);
            if (session.Json)
            {
                session.WriteJson(new
                {
                    MessageType = "summary",
                    SnapshotId = snapshot.Id.ToString(),
                    Component = session.Get(component),
                    result.Path,
                    Format = session.Get(format),
                    result.Files,
                    result.Bytes,
                    result.ArchiveBytes,
                    Warnings = result.Warnings.Count,
                    TotalDuration = stopwatch.Elapsed.TotalSeconds,
                });
            }
            else
            {
                session.Info($"exported snapshot {snapshot.Id.ToShortString()}{(session.Get(component) is { } c ? $" (component {c})" : "")} to {result.Path}: " +
                             $"{result.Files} files, {Format.Bytes(result.Bytes)}, archive {Format.Bytes(result.ArchiveBytes)} in {Format.Duration(stopwatch.Elapsed)}");
            }
            return 0;
        });
        return command;
    }
}
