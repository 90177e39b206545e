using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Cli.Commands.Job;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Service;

namespace Cairn.Cli.Commands;

/// <summary>cairn status: per job, its last run and success against its rpo, its next run and what its first target holds.</summary>
internal static class StatusCommand
{
    public static Command Create(CommandContext context)
    {
        var jobs = new Option<string[]>("--job") { Description = "Show only this job (repeatable); default: every job of the config.", Arity = ArgumentArity.ZeroOrMore };
        var noRepository = new Option<bool>("--no-repository")
        {
            Description = "Do not open the jobs' targets: state files and config only (fast, offline, no password needed). For health checks.",
        };
        var stateDir = new Option<string?>("--state-dir") { Description = "Where the jobs' state files are (default: daemon.state_directory, else $XDG_STATE_HOME/cairn, or /var/lib/cairn as root)." };
        var command = new Command("status",
            "Show, for each job of the config, how its backups stand:\n" +
            "  - its last run (when it finished, and its outcome: success, partial, failure or incomplete);\n" +
            "  - its last success (a success or partial run) and that run's snapshot;\n" +
            "  - the age of that success against the job's 'rpo', e.g. '27h / rpo 26h: STALE';\n" +
            "  - its next run, from its 'schedule' in its 'time_zone' (plus up to its 'jitter');\n" +
            "  - the number of the job's snapshots (of this config's instance) in its first target, and the size that\n" +
            "    target's repository takes in its storage (all its files but locks, whichever jobs wrote them).\n" +
            "Runs and successes come from the jobs' state files, which 'cairn daemon' and 'cairn job run' write (see\n" +
            "'cairn daemon'); the targets are opened read-only, without a lock, so status never waits for a running backup.\n" +
            "A target that cannot be opened, or a damaged state file, is shown as that job's error; the others are still shown.\n" +
            "--no-repository skips the targets: no network and no passwords, only the state files.\n\n" +
            "A job is STALE when it has an rpo and its last success is older than it. A job that never succeeded counts\n" +
            "from when its state file was created (the daemon creates it at start), and one with no state file at all is\n" +
            "stale at once: nothing shows it ever ran. Jobs without an rpo are never stale.\n\n" +
            "So that it can serve as a health check, the exit code says whether every job is within its rpo:\n" +
            "  docker:      HEALTHCHECK --interval=5m CMD cairn status --no-repository --quiet\n" +
            "  kubernetes:  livenessProbe: {exec: {command: [cairn, status, --no-repository, --quiet]}, periodSeconds: 300}\n\n" +
            "--json prints an array with one object per job: job, instance, environment, last_run (ISO 8601), last_outcome,\n" +
            "last_exit_code, last_error, last_success, last_success_snapshot, age_seconds, rpo_seconds, stale, next_run,\n" +
            "jitter_seconds, target, snapshots, repository_bytes, error; absent values are null.\n\n" +
            "Exit codes: 0 every job with an rpo is within it; 23 a job is past its rpo (or has none and no record); 17 no\n" +
            "such job; 2 bad config; otherwise, when no job is stale but a target could not be opened, that error's code\n" +
            "(10, 12, 16, 18, 19).\n\n" +
            "Examples:\n" +
            "  cairn status\n" +
            "  cairn status --job platform\n" +
            "  cairn status --no-repository --json\n" +
            "  cairn --config /etc/cairn/cairn.yaml --environment prod status --state-dir /var/lib/cairn");
        command.Add(jobs);
        command.Add(noRepository);
        command.Add(stateDir);
        context.SetAction(command, async (session, ct) =>
        {
            var config = ConfigAccess.Load(session);
            var selected = Select(config, session.Get(jobs) ?? []);
            var store = JobServices.StateStore(session, config, session.Get(stateDir));
            var now = session.Env.Time.GetUtcNow();
            var statuses = selected.Select(job => Measure(config, job, store, now)).ToList();
            if (!session.Get(noRepository)) statuses = await AddContentsAsync(session, config, selected, statuses, ct).ConfigureAwait(false);

            if (session.Json) session.WriteJson(new JsonArray([.. statuses.Select(ToJson)]));
            else if (!session.Quiet) Print(session, statuses, now);
            if (statuses.Any(s => s.Stale)) return (int)ExitCode.Stale;
            return (int)(statuses.FirstOrDefault(s => s.Error is not null)?.ErrorCode ?? ExitCode.Success);
        });
        return command;
    }

    // A state file that cannot be read is that job's error: it counts as no record, the others are still shown.
    private static JobStatus Measure(CairnConfig config, JobDefinition job, JobStateStore store, DateTimeOffset now)
    {
        try
        {
            return JobStatus.FromState(config, job, store.Load(config.Instance, job.Name), now);
        }
        catch (CairnException e)
        {
            return JobStatus.FromState(config, job, new JobState { Job = job.Name, Instance = config.Instance }, now).WithError(e.Message, e.ExitCode);
        }
    }

    private static List<JobDefinition> Select(CairnConfig config, string[] names)
    {
        if (names.Length == 0) return [.. config.Jobs];
        return [.. names.Distinct(StringComparer.Ordinal).Select(name => config.FindJob(name) ?? throw new CairnException(
            $"the config has no job '{name}' (it has: {string.Join(", ", config.Jobs.Select(j => j.Name))})", ExitCode.NotFound))];
    }

    // Each first target is opened once, however many jobs write to it.
    private static async Task<List<JobStatus>> AddContentsAsync(Session session, CairnConfig config, List<JobDefinition> jobs, List<JobStatus> statuses,
        CancellationToken cancellationToken)
    {
        var contents = new Dictionary<string, (RepositoryContents? Contents, string? Error, ExitCode Code)>(StringComparer.Ordinal);
        var result = new List<JobStatus>(statuses.Count);
        for (int i = 0; i < jobs.Count; i++)
        {
            var name = jobs[i].Targets[0];
            if (!contents.TryGetValue(name, out var found))
            {
                found = await ReadAsync(session, config.Targets[name], cancellationToken).ConfigureAwait(false);
                contents[name] = found;
            }
            result.Add(found.Contents is { } c ? statuses[i].WithContents(name, c) : statuses[i].WithError($"target {name}: {found.Error}", found.Code) with { Target = name });
        }
        return result;
    }

    private static async Task<(RepositoryContents?, string?, ExitCode)> ReadAsync(Session session, TargetDefinition target, CancellationToken cancellationToken)
    {
        try
        {
            await using var repository = await TargetAccess.OpenAsync(session, target, lockKind: null, cancellationToken, loadIndex: false).ConfigureAwait(false);
            return (await RepositoryContents.ReadAsync(repository, cancellationToken).ConfigureAwait(false), null, ExitCode.Success);
        }
        catch (CairnException e)
        {
            return (null, e.Message.ReplaceLineEndings(" "), e.ExitCode);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, $"unexpected error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}", ExitCode.Failure);
        }
    }

    private static string? Iso(DateTimeOffset? time) => time?.ToString("o", CultureInfo.InvariantCulture);

    private static JsonNode ToJson(JobStatus s) => new JsonObject
    {
        ["job"] = s.Job,
        ["instance"] = s.Instance,
        ["environment"] = s.Environment,
        ["last_run"] = Iso(s.LastRun?.Finished),
        ["last_outcome"] = s.LastRun is { } run ? Outcome(run.Outcome) : null,
        ["last_exit_code"] = s.LastRun?.ExitCode,
        ["last_error"] = s.LastRun?.Error,
        ["last_success"] = Iso(s.LastSuccess),
        ["last_success_snapshot"] = s.LastSuccessSnapshotId,
        ["age_seconds"] = s.Age is { } age ? (long)age.TotalSeconds : null,
        ["rpo_seconds"] = s.Rpo is { } rpo ? (long)rpo.TotalSeconds : null,
        ["stale"] = s.Stale,
        ["next_run"] = Iso(s.NextRun?.ToUniversalTime()),
        ["jitter_seconds"] = s.Jitter is { } jitter ? (long)jitter.TotalSeconds : null,
        ["target"] = s.Target,
        ["snapshots"] = s.Snapshots,
        ["repository_bytes"] = s.RepositoryBytes,
        ["error"] = s.Error,
    };

    private static string Outcome(JobOutcome outcome) => outcome.ToString().ToLowerInvariant();

    private static void Print(Session session, List<JobStatus> statuses, DateTimeOffset now)
    {
        TextTable.Write(session.Out, ["Job", "Last run", "Outcome", "Last success", "Age / RPO", "Next run", "Snapshots", "Size"],
            [.. statuses.Select(s => new[]
            {
                s.Job,
                s.LastRun is { } run ? Format.LocalTime(run.Finished) : "never",
                s.LastRun is { } r ? Outcome(r.Outcome) : "-",
                s.LastSuccess is { } success ? Format.LocalTime(success) + (s.LastSuccessSnapshotId is { Length: >= 8 } id ? $" ({id[..8]})" : "") : "never",
                AgeAgainstRpo(s),
                s.NextRun is { } next ? Format.LocalTime(next) + (s.Jitter is { } j && j > TimeSpan.Zero ? $" + up to {JobEvents.Describe(j)}" : "") : "-",
                s.Snapshots?.ToString(CultureInfo.InvariantCulture) ?? "-",
                s.RepositoryBytes is { } bytes ? Format.Bytes(bytes) : "-",
            })]);
        foreach (var s in statuses)
        {
            if (s.LastRun is { Outcome: JobOutcome.Failure or JobOutcome.Incomplete, Error: { } lastError })
                session.Out.WriteLine($"{s.Job}: last run {Outcome(s.LastRun.Outcome)}: {lastError}");
            if (s.Error is { } error) session.Out.WriteLine($"{s.Job}: ERROR: {error}");
        }
        var stale = statuses.Where(s => s.Stale).Select(s => s.Job).ToList();
        if (stale.Count > 0) session.Out.WriteLine($"past their rpo: {string.Join(", ", stale)} (at {Format.LocalTime(now)})");
    }

    private static string AgeAgainstRpo(JobStatus s)
    {
        var age = s.Age is { } a ? JobEvents.Describe(a) : "never";
        if (s.Rpo is not { } rpo) return s.Age is null ? "-" : age;
        return $"{age} / rpo {JobEvents.Describe(rpo)}: {(s.Stale ? "STALE" : "ok")}";
    }
}
