using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json.Nodes;
using Cairn.Maintenance.Prune;
using Cairn.Maintenance.Retention;
using Cairn.Snapshots;
using Cairn.Snapshots.Locking;

namespace Cairn.Cli.Commands;

/// <summary>cairn forget: removes snapshots named by id or by a retention policy.</summary>
internal static class ForgetCommand
{
    /// <summary>
    /// prune hook: what --prune runs after snapshots were removed (dry run: would be), with the removed snapshots
    /// left out of the plan (a dry run has not removed them).
    /// </summary>
    private static readonly Func<Session, Repository, IReadOnlyList<Snapshot>, bool, CancellationToken, Task<int>> s_prune =
        (session, repository, removed, dryRun, ct) => PruneCommand.RunAsync(session, repository,
            new PruneOptions { ExcludedSnapshots = removed.Select(s => s.Id).ToHashSet() }, dryRun, ct);

    private const string PolicyHelp =
        "Remove snapshots: those named by id, or those that a retention policy does not keep. Only the snapshot records\n" +
        "are removed; the data they alone used stays in the repository until a prune frees it.\n\n" +
        "Snapshots are split into groups (by default host + paths; see --group-by) and each group gets the policy on its\n" +
        "own. A snapshot is kept if any rule keeps it:\n" +
        "  --keep-last N          the newest N snapshots\n" +
        "  --keep-hourly/-daily/-weekly/-monthly/-yearly N\n" +
        "                         the newest snapshot of each of the newest N hours/days/ISO weeks/months/years that\n" +
        "                         have one (periods with no snapshot use up nothing; 'unlimited' keeps one per period).\n" +
        "                         While a rule has periods left, the group's oldest snapshot is kept too.\n" +
        "  --keep-within D        every snapshot newer than D before the group's newest snapshot (not before now)\n" +
        "  --keep-within-hourly/-daily/-weekly/-monthly/-yearly D\n" +
        "                         the newest snapshot of each period within D of the group's newest snapshot\n" +
        "  --keep-tag a,b         every snapshot with all of these tags (repeat the option for alternatives)\n" +
        "  --keep-min N           never remove the newest N (complete) snapshots, whatever the other rules say\n" +
        "Durations are restic's: a number and unit, repeated, e.g. 1y2m3d4h (years, months, days, hours).\n" +
        "Periods are wall-clock hours, days, weeks (Monday to Sunday), months and years in --time-zone (default: local).\n\n" +
        "Failed and partial snapshots never count: they do not use up a period or a place in --keep-last and --keep-min.\n" +
        "Those newer than the group's newest complete snapshot are kept, because they may hold the only copy of recent\n" +
        "files; older ones are removed unless --keep-within or --keep-tag keeps them. A group with no complete snapshot\n" +
        "keeps all of them (and cairn warns). A policy never removes a group's newest complete snapshot.\n\n" +
        "forget with no rule and no id refuses (exit 2) rather than remove everything. Snapshots named by id are removed\n" +
        "as asked, with no policy and no guard. The plan (each snapshot, kept or removed, and why) is always printed;\n" +
        "--dry-run prints it and removes nothing. --json prints a list of groups: host, paths, tags, instance (null where\n" +
        "not grouped by), keep and remove (snapshots as 'snapshots --json' prints them) and reasons (per snapshot: id,\n" +
        "short_id, time, status, action keep/remove, matches: the reasons for people, rules: their stable names).\n\n" +
        "Examples:\n" +
        "  cairn forget --dry-run --keep-daily 7 --keep-weekly 4 --keep-monthly 12\n" +
        "  cairn forget --keep-within 30d --keep-monthly unlimited --keep-min 3 --host web1\n" +
        "  cairn forget --keep-last 10 --keep-tag release --group-by host,tags --prune\n" +
        "  cairn forget 3fa2c1d0 9b1e77aa\n" +
        "  cairn forget --keep-daily 7 --json -n | jq -r '.[].remove[].id'";

    public static Command Create(CommandContext context)
    {
        var ids = new Argument<string[]>("SNAPSHOT") { Description = "Snapshots to remove (id prefixes or latest), instead of a policy.", Arity = ArgumentArity.ZeroOrMore };
        ids.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (token.Value.StartsWith('-')) result.AddError($"unknown option '{token.Value}'");
        });
        var last = CountOption("--keep-last", "-l", "Keep the newest N complete snapshots.");
        var hourly = CountOption("--keep-hourly", null, "Keep the newest complete snapshot of each of the newest N hours that have one.");
        var daily = CountOption("--keep-daily", "-d", "Keep the newest complete snapshot of each of the newest N days that have one.");
        var weekly = CountOption("--keep-weekly", "-w", "Keep the newest complete snapshot of each of the newest N ISO weeks that have one.");
        var monthly = CountOption("--keep-monthly", "-m", "Keep the newest complete snapshot of each of the newest N months that have one.");
        var yearly = CountOption("--keep-yearly", "-y", "Keep the newest complete snapshot of each of the newest N years that have one.");
        var within = DurationOption("--keep-within", "Keep every snapshot newer than DURATION (e.g. 1y2m3d4h) before the group's newest snapshot.");
        var withinHourly = DurationOption("--keep-within-hourly", "Keep one complete snapshot per hour within DURATION of the group's newest snapshot.");
        var withinDaily = DurationOption("--keep-within-daily", "Keep one complete snapshot per day within DURATION of the group's newest snapshot.");
        var withinWeekly = DurationOption("--keep-within-weekly", "Keep one complete snapshot per week within DURATION of the group's newest snapshot.");
        var withinMonthly = DurationOption("--keep-within-monthly", "Keep one complete snapshot per month within DURATION of the group's newest snapshot.");
        var withinYearly = DurationOption("--keep-within-yearly", "Keep one complete snapshot per year within DURATION of the group's newest snapshot.");
        var keepTags = new Option<string[]>("--keep-tag")
        {
            Description = "Keep snapshots that have all tags of this comma list (repeatable: a snapshot matching any list is kept).",
            HelpName = "TAGS",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var keepMin = new Option<int>("--keep-min")
        {
            Description = "Never remove the newest N complete snapshots of a group, whatever their age (needs another --keep rule).",
            HelpName = "N",
            CustomParser = result => ParseCount(result, "--keep-min", allowUnlimited: false),
        };
        var groupBy = new Option<SnapshotGrouping>("--group-by", "-g")
        {
            Description = "Group snapshots by a comma list of host, paths, tags and instance; '' puts all in one group. Default: host,paths.",
            HelpName = "FIELDS",
            CustomParser = result => Parse(result, SnapshotGroupings.Parse, SnapshotGroupings.Default),
        };
        var timeZone = new Option<TimeZoneInfo?>("--time-zone")
        {
            Description = "The zone whose calendar defines hours, days, weeks, months and years, e.g. UTC or Europe/Berlin. Default: local.",
            HelpName = "ZONE",
            CustomParser = result => Parse<TimeZoneInfo?>(result, FindTimeZone, null),
        };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Print what would be kept and removed, and why; remove nothing." };
        var prune = new Option<bool>("--prune") { Description = "Run a prune afterwards if snapshots were removed, to free the space their data used." };

        var command = new Command("forget", PolicyHelp);
        command.Add(ids);
        foreach (var option in new Option[]
                 {
                     last, hourly, daily, weekly, monthly, yearly, within, withinHourly, withinDaily, withinWeekly, withinMonthly, withinYearly,
                     keepTags, keepMin, groupBy, timeZone, dryRun, prune,
                 })
            command.Add(option);
        var selection = SnapshotSelection.AddTo(command);

        context.SetAction(command, async (session, ct) =>
        {
            var requested = session.Get(ids) ?? [];
            var policy = new RetentionPolicy
            {
                Last = session.Get(last),
                Hourly = session.Get(hourly),
                Daily = session.Get(daily),
                Weekly = session.Get(weekly),
                Monthly = session.Get(monthly),
                Yearly = session.Get(yearly),
                Within = session.Get(within),
                WithinHourly = session.Get(withinHourly),
                WithinDaily = session.Get(withinDaily),
                WithinWeekly = session.Get(withinWeekly),
                WithinMonthly = session.Get(withinMonthly),
                WithinYearly = session.Get(withinYearly),
                KeepTags = (session.Get(keepTags) ?? []).Select(list => (IReadOnlyList<string>)SnapshotSelection.SplitList(list)).ToList(),
                KeepMin = session.Get(keepMin),
                // Read only when given: an absent option would read as the enum's zero, no grouping at all.
                GroupBy = session.Parse.GetResult(groupBy) is null ? SnapshotGroupings.Default : session.Get(groupBy),
            };
            CheckArguments(requested, policy);
            bool dry = session.Get(dryRun), runPrune = session.Get(prune);
            var zone = session.Get(timeZone) ?? session.Env.Time.LocalTimeZone;

            // Removing snapshots needs the repository to itself (as in restic); a dry run only reads.
            await using var repository = await RepositoryAccess.OpenAsync(session, ct, dry ? null : LockKind.Exclusive).ConfigureAwait(false);
            RetentionPlan plan;
            if (requested.Length > 0)
            {
                var named = await Task.WhenAll(requested.Select(r => selection.FindAsync(repository, session, r, ct))).ConfigureAwait(false);
                plan = Requested(named.DistinctBy(s => s.Id), policy.GroupBy);
            }
            else
            {
                var snapshots = await repository.ListSnapshotsAsync(selection.Read(session), ct).ConfigureAwait(false);
                plan = RetentionPlanner.Plan(snapshots, policy, session.Env.Time.GetUtcNow(), zone);
                if (!session.Json && !session.Quiet) session.Out.WriteLine($"Applying policy: {policy}");
                foreach (var group in plan.Groups.Where(g => !g.HasComplete))
                    session.Warn($"snapshots of {group.Key} are all failed or partial: all {group.Decisions.Count} are kept until one is complete");
            }
            if (!session.Json && !session.Quiet) PrintPlan(session, plan, zone);

            var removed = plan.Removed.ToList();
            if (!dry) await RemoveAsync(session, repository, removed, ct).ConfigureAwait(false);
            if (session.Json) session.WriteJson(new JsonArray([.. plan.Groups.Select(ToJson)]));
            int total = plan.Groups.Sum(g => g.Decisions.Count);
            session.Info(dry
                ? $"dry run: would remove {removed.Count} of {total} snapshots; nothing was removed"
                : $"removed {removed.Count} of {total} snapshots" + (removed.Count > 0 && !runPrune ? " (their data stays in the repository until a prune)" : ""));

            // prune hook: the single place prune runs after forget (see s_prune).
            if (runPrune && removed.Count > 0)
                return await s_prune(session, repository, removed, dry, ct).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static void CheckArguments(string[] requested, RetentionPolicy policy)
    {
        bool anyRule = !policy.IsEmpty || policy.KeepMin > 0;
        if (requested.Length > 0 && anyRule)
            throw new CairnException("give either snapshot ids or --keep-* rules, not both", ExitCode.Usage);
        if (requested.Length == 0 && policy.IsEmpty)
        {
            throw new CairnException(policy.KeepMin > 0
                ? "--keep-min only protects snapshots from the other rules: add a rule such as --keep-daily 7"
                : "no policy given: forget refuses to remove every snapshot; give --keep-* rules (e.g. --keep-daily 7) or snapshot ids",
                ExitCode.Usage);
        }
        if (policy.KeepTags.Any(list => list.Count == 0))
            throw new CairnException("--keep-tag needs at least one tag", ExitCode.Usage);
    }

    /// <summary>Snapshots named on the command line: all removed, grouped as a policy would group them so the output looks alike.</summary>
    private static RetentionPlan Requested(IEnumerable<Snapshot> snapshots, SnapshotGrouping grouping) => new(
        [.. snapshots.GroupBy(s => SnapshotGroupings.KeyOf(s, grouping)).OrderBy(g => g.Key.SortKey, StringComparer.Ordinal)
            .Select(g => new RetentionGroup(g.Key, [.. g.OrderByDescending(s => s.Time).ThenByDescending(s => s.Id)
                .Select(s => new RetentionDecision(s, false, [new(RetentionRule.Requested, "named on the command line")]))]))]);

    private static async Task RemoveAsync(Session session, Repository repository, List<Snapshot> removed, CancellationToken ct)
    {
        int done = 0;
        try
        {
            await Parallel.ForEachAsync(removed, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (snapshot, token) =>
            {
                await repository.DeleteSnapshotAsync(snapshot.Id, token).ConfigureAwait(false);
                Interlocked.Increment(ref done);
            }).ConfigureAwait(false);
        }
        catch (Exception) when (done > 0)
        {
            session.Warn($"{done} of {removed.Count} snapshots were removed before the error");
            throw;
        }
    }

    private static void PrintPlan(Session session, RetentionPlan plan, TimeZoneInfo zone)
    {
        foreach (var group in plan.Groups)
        {
            session.Out.WriteLine();
            int kept = group.Kept.Count();
            session.Out.WriteLine($"Snapshots of {group.Key}: keep {kept}, remove {group.Decisions.Count - kept}");
            var rows = group.Decisions.Select(d => new[]
            {
                d.Snapshot.Id.ToShortString(), LocalTime(d.Snapshot.Time, zone), StatusName(d.Snapshot), d.Keep ? "keep" : "remove",
                string.Join("; ", d.Reasons.Select(r => r.Description)),
            }).ToList();
            TextTable.Write(session.Out, ["ID", "Time", "Status", "Action", "Reasons"], rows);
        }
    }

    private static JsonObject ToJson(RetentionGroup group) => new()
    {
        ["host"] = group.Key.Hostname,
        ["paths"] = group.Key.Paths is { } paths ? new JsonArray([.. paths.Select(p => (JsonNode?)p)]) : null,
        ["tags"] = group.Key.Tags is { } tags ? new JsonArray([.. tags.Select(t => (JsonNode?)t)]) : null,
        ["instance"] = group.Key.Instance,
        ["keep"] = new JsonArray([.. group.Kept.Select(SnapshotsCommand.ToJson)]),
        ["remove"] = new JsonArray([.. group.Removed.Select(SnapshotsCommand.ToJson)]),
        ["reasons"] = new JsonArray([.. group.Decisions.Select(d => (JsonNode)new JsonObject
        {
            ["id"] = d.Snapshot.Id.ToString(),
            ["short_id"] = d.Snapshot.Id.ToShortString(),
            ["time"] = d.Snapshot.Time.ToString("o", CultureInfo.InvariantCulture),
            ["status"] = StatusName(d.Snapshot),
            ["action"] = d.Keep ? "keep" : "remove",
            ["matches"] = new JsonArray([.. d.Reasons.Select(r => (JsonNode?)r.Description)]),
            ["rules"] = new JsonArray([.. d.Reasons.Select(r => (JsonNode?)r.RuleName)]),
        })]),
    };

    private static string StatusName(Snapshot snapshot) => snapshot.Status.ToString().ToLowerInvariant();

    /// <summary>The time on the zone's clock, with its offset: in the hour repeated when DST ends, the offset tells the two apart.</summary>
    private static string LocalTime(DateTimeOffset time, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    private static Option<int> CountOption(string name, string? alias, string description)
    {
        var option = alias is null ? new Option<int>(name) : new Option<int>(name, alias);
        option.Description = description + " N may be 'unlimited'.";
        option.HelpName = "N";
        option.CustomParser = result => ParseCount(result, name, allowUnlimited: true);
        return option;
    }

    private static Option<RetentionDuration> DurationOption(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "DURATION",
        CustomParser = result => Parse(result, RetentionDuration.Parse, default),
    };

    private static int ParseCount(ArgumentResult result, string name, bool allowUnlimited)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (allowUnlimited && text == "unlimited") return RetentionPolicy.Unlimited;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int count)) return count;
        result.AddError($"{name}: '{text}' is not a count: give a number of zero or more" + (allowUnlimited ? ", or unlimited" : ""));
        return 0;
    }

    private static T Parse<T>(ArgumentResult result, Func<string, T> parse, T fallback)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            result.AddError(e.Message);
            return fallback;
        }
    }

    private static TimeZoneInfo FindTimeZone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new FormatException($"unknown time zone '{id}': use an IANA name such as UTC or Europe/Berlin", e);
        }
    }
}
