using System.CommandLine;
using System.Text.Json.Nodes;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Jobs;
using Cairn.Orchestration.Metrics;
using Cairn.Orchestration.Notifications;
using Cairn.Orchestration.Retention;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands.Job;

/// <summary>cairn job run: runs one job of the config into one snapshot, copied to the job's other targets.</summary>
internal static class JobRunCommand
{
    public static Command Create(CommandContext context)
    {
        var name = new Argument<string>("NAME") { Description = "The job to run, as named under jobs: in the config." };
        var components = new Option<string[]>("--component") { Description = "Run only this component (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var skip = new Option<string[]>("--skip") { Description = "Leave this component out (repeatable).", Arity = ArgumentArity.ZeroOrMore };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Say which components would run and where to; run and store nothing." };
        var metricsFile = new Option<string?>("--metrics-file")
        {
            Description = "After the run, update this node_exporter textfile (e.g. /var/lib/node_exporter/textfile/cairn.prom) with the\n" +
                "job's metrics, keeping the other jobs' values in it; replaced atomically (see README, Alerts and metrics).",
        };
        var noRetention = new Option<bool>("--no-retention") { Description = "Back up only: leave the job's retention and archive tier to its next run." };
        var command = new Command("run",
            "Run a job: its components run one after the other, in config order, into ONE new snapshot of the job's first\n" +
            "target (one directory per component at the snapshot's root), which is then copied to the job's other targets.\n" +
            "The snapshot records the job, the config's instance and environment, the job's tags and host, and for each\n" +
            "component its status, error, tool and server versions, format, items, bytes, bytes added and duration.\n" +
            "File trees are compared with the job's previous snapshot on the same host and instance, so unchanged files are\n" +
            "not read again; dumps are deduplicated by the repository's chunking.\n\n" +
            "A component that fails (its tool exits non-zero or reports an error, its server is unreachable, its tool is\n" +
            "missing) does not stop the others; its error is recorded, the snapshot is recorded as failed, never as good,\n" +
            "and the exit code is 21. Components with only warnings (unreadable files, a failed post_hook) make the snapshot\n" +
            "partial (exit 3). A run that reaches the job's max_duration, or gets SIGTERM or Ctrl-C, stops gracefully: what\n" +
            "it stored is kept in an incomplete snapshot, which the next run continues from, and the exit code is 22 (a\n" +
            "second signal interrupts at once, exit 130). Every run is recorded in the job's state file (see 'cairn daemon').\n" +
            "A target the snapshot cannot be copied to is reported, the others still get their copy, and\n" +
            "the exit code is that failure's.\n\n" +
            "After a COMPLETE run (never after a failed or partial one), the job's retention and archive tier are applied\n" +
            "(see 'Retention and tiers' in the README): the snapshots the archive's rules choose are copied to the archive\n" +
            "target and its retention applied there, then the job's retention forgets its other snapshots in each of its\n" +
            "targets. Only this job's snapshots are touched; prune runs on each target's own schedule, not here.\n" +
            "--no-retention skips this step.\n\n" +
            "Prints a table per component: status, bytes, added, duration and error, then a line per target retention\n" +
            "dealt with. --json prints one object: job, dry_run, snapshot_id, status, exit_code, components (name, type,\n" +
            "status, error, tool, server_version, format, items, bytes, bytes_added, duration_seconds), targets (name,\n" +
            "snapshot_id, error) and retention (applied, not_applied, exit_code, targets: name, role, copied, kept,\n" +
            "forgotten, held_for_archive, skipped, error, exit_code).\n\n" +
            "Exit codes: 0 all stored everywhere; 2 unknown component name or bad config; 3 partial; 17 no such job;\n" +
            "21 a component failed; 22 incomplete (max_duration or SIGTERM); 10/12/16/18/19 the first target could not be\n" +
            "opened or written (nothing stored), or a copy to another target failed, or (after an otherwise successful run)\n" +
            "retention failed in a target.\n\n" +
            "Examples:\n" +
            "  cairn job run platform\n" +
            "  cairn job run platform --component db --component etc\n" +
            "  cairn job run platform --skip buckets --dry-run\n" +
            "  cairn job run platform --metrics-file /var/lib/node_exporter/textfile/cairn.prom\n" +
            "  cairn --config /etc/cairn/cairn.yaml --environment prod job run platform --json");
        command.Add(name);
        command.Add(components);
        command.Add(skip);
        command.Add(dryRun);
        command.Add(metricsFile);
        command.Add(noRetention);
        context.SetAction(command, async (session, ct) =>
        {
            var config = ConfigAccess.Load(session);
            var options = new JobRunOptions { Components = session.Get(components) ?? [], Skip = session.Get(skip) ?? [], DryRun = session.Get(dryRun) };
            // The lock a backup takes is enough for retention too: it deletes snapshot records only, never data.
            Func<TargetDefinition, CancellationToken, Task<Repository>> open =
                (target, token) => TargetAccess.OpenAsync(session, target, LockKind.Shared, token);
            Action<string> warn = line => session.Env.Error.WriteLine("cairn: " + line);
            var execution = JobServices.Execution(session, config, JobServices.StateStore(session, config), JobServices.Observers(session, config, warn),
                line => Progress(session, line), warn);
            // The first SIGTERM (a systemd stop) or Ctrl-C checkpoints: what was stored is kept in an incomplete snapshot.
            session.Env.StopsGracefully = true;
            var report = await execution.RunAsync(session.Get(name), options, "manual", session.Env.GracefulStop.Token, ct).ConfigureAwait(false);
            // Recorded before an early failure is rethrown, so a target that could not be opened shows as a failure too.
            if (!options.DryRun && session.Get(metricsFile) is { } metricsPath)
                await WriteMetricsAsync(session, metricsPath, config, report.Event).ConfigureAwait(false);
            report.Error?.Throw();
            var result = report.Result!;
            JobRetentionOutcome? retention = null;
            if (!result.DryRun && !session.Get(noRetention))
                retention = await new JobRetention(config, open, session.Env.Time) { Info = line => Progress(session, line) }
                    .ApplyAsync(result.Job, result, ct).ConfigureAwait(false);
            var exitCode = result.ExitCode != ExitCode.Success ? result.ExitCode : retention?.ExitCode ?? ExitCode.Success;
            if (session.Json) session.WriteJson(ToJson(result, retention, exitCode));
            else if (result.DryRun) PrintPlan(session, result);
            else
            {
                PrintSummary(session, result);
                if (retention is not null) PrintRetention(session, retention);
            }
            return (int)exitCode;
        });
        return command;
    }

    // The run's outcome stands whatever happens to its metrics: a file that cannot be written is a warning.
    private static async Task WriteMetricsAsync(Session session, string path, CairnConfig config, JobEvent e)
    {
        try
        {
            await MetricsTextfile.UpdateAsync(path, CairnMetrics.ForConfig(config), metrics => metrics.Observe(e)).ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException)
        {
            session.Warn($"cannot write metrics file {path}: {failure.Message}");
        }
    }

    // Components' progress goes to stderr, so stdout stays the summary (or the JSON) alone.
    private static void Progress(Session session, string line)
    {
        if (!session.Quiet) session.Env.Error.WriteLine("cairn: " + line);
    }

    private static void PrintPlan(Session session, JobRunResult result)
    {
        session.Info($"dry run: job {result.Job.Name} would run {result.Selected.Count} components into {string.Join(", ", result.Job.Targets)}:");
        TextTable.Write(session.Out, ["Component", "Type", "Summary"], [.. result.Selected.Select(c => new[] { c.Name, c.Type.Name, c.Type.Summary })]);
        session.Info("nothing was run or stored");
    }

    private static void PrintSummary(Session session, JobRunResult result)
    {
        var snapshot = result.Snapshot!;
        if (session.Quiet) return;
        TextTable.Write(session.Out, ["Component", "Type", "Status", "Bytes", "Added", "Duration", "Error"],
            [.. snapshot.Components.Select(c => new[]
            {
                c.Name, c.Type, Status(c.Status), Format.Bytes(c.Bytes ?? 0), Format.Bytes(c.BytesAdded ?? 0),
                Format.Duration(TimeSpan.FromSeconds(c.DurationSeconds ?? 0)), c.Error ?? "",
            })]);
        foreach (var warning in snapshot.Warnings) session.Out.WriteLine($"warning: {warning.Path}: {warning.Message}");
        foreach (var target in result.Targets)
            session.Out.WriteLine(target.Error is null
                ? $"snapshot {target.SnapshotId!.Value.ToShortString()} saved in target {target.Target}"
                : $"target {target.Target} FAILED: {target.Error}");
        session.Out.WriteLine($"job {result.Job.Name}: {Status(snapshot.Status)}" + snapshot.Status switch
        {
            SnapshotStatus.Failed => $" ({snapshot.Components.Count(c => c.Status == SnapshotStatus.Failed)} of {snapshot.Components.Count} components failed)",
            SnapshotStatus.Partial => $" ({snapshot.Warnings.Count} warnings)",
            SnapshotStatus.Incomplete => $" (stopped early: {snapshot.Components.FirstOrDefault(c => c.Status == SnapshotStatus.Incomplete)?.Error ?? "not every component ran"}; the next run continues from it)",
            _ => "",
        });
    }

    private static void PrintRetention(Session session, JobRetentionOutcome retention)
    {
        if (session.Quiet || !retention.Configured) return;
        if (retention.NotApplied is { } why)
        {
            session.Out.WriteLine($"retention not applied: {why}");
            return;
        }
        foreach (var t in retention.Targets)
        {
            var what = t.Role == RetentionRole.Archive ? "archive" : "target";
            if (t.Skipped is { } skipped) session.Out.WriteLine($"retention in {what} {t.Target}: skipped: {skipped}");
            var line = $"retention in {what} {t.Target}: " +
                (t.Role == RetentionRole.Archive ? $"copied {t.Copied.Count}, " : "") + $"kept {t.Kept.Count}, forgot {t.Forgotten.Count}" +
                (t.HeldForArchive.Count > 0 ? $", held {t.HeldForArchive.Count} until the archive has them" : "");
            if (t.Error is { } error) session.Out.WriteLine($"retention in {what} {t.Target} FAILED: {error}" + (t.Forgotten.Count + t.Copied.Count > 0 ? $" ({line})" : ""));
            else if (t.Skipped is null) session.Out.WriteLine(line);
        }
    }

    private static string Status(SnapshotStatus status) => status.ToString().ToLowerInvariant();

    private static JsonArray SnapshotList(IEnumerable<Snapshot> snapshots) => new([.. snapshots.Select(s => (JsonNode)new JsonObject
    {
        ["id"] = s.Id.ToString(),
        ["time"] = s.Time.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
    })]);

    private static JsonObject ToJson(JobRetentionOutcome retention) => new()
    {
        ["applied"] = retention.NotApplied is null,
        ["not_applied"] = retention.NotApplied,
        ["exit_code"] = (int)retention.ExitCode,
        ["targets"] = new JsonArray([.. retention.Targets.Select(t => (JsonNode)new JsonObject
        {
            ["name"] = t.Target,
            ["role"] = t.Role.ToString().ToLowerInvariant(),
            ["copied"] = new JsonArray([.. t.Copied.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Source.Id.ToString(),
                ["archive_id"] = c.ArchiveId.ToString(),
                ["time"] = c.Source.Time.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
            })]),
            ["kept"] = SnapshotList(t.Kept),
            ["forgotten"] = SnapshotList(t.Forgotten),
            ["held_for_archive"] = SnapshotList(t.HeldForArchive),
            ["skipped"] = t.Skipped,
            ["error"] = t.Error,
            ["exit_code"] = (int)t.ExitCode,
        })]),
    };

    private static JsonObject ToJson(JobRunResult result, JobRetentionOutcome? retention, ExitCode exitCode)
    {
        var node = Session.ToNode(new
        {
            Job = result.Job.Name,
            result.DryRun,
            SnapshotId = result.Snapshot?.Id.ToString(),
            Status = result.Snapshot is { } s ? Status(s.Status) : null,
            ExitCode = (int)exitCode,
        }).AsObject();
        node["components"] = result.Snapshot is { } snapshot
            ? new JsonArray([.. snapshot.Components.Select(c => Session.ToNode(new
            {
                c.Name, c.Type, Status = Status(c.Status), c.Error, c.Tool, c.ServerVersion, c.Format, c.Items, c.Bytes, c.BytesAdded, c.DurationSeconds,
            }))])
            : new JsonArray([.. result.Selected.Select(c => Session.ToNode(new { c.Name, Type = c.Type.Name, Status = "planned" }))]);
        node["targets"] = new JsonArray([.. result.Targets.Select(t => Session.ToNode(new
        {
            Name = t.Target,
            SnapshotId = t.SnapshotId?.ToString(),
            t.Error,
            ExitCode = (int)t.ExitCode,
        }))]);
        node["retention"] = retention is null ? null : ToJson(retention);
        return node;
    }
}
