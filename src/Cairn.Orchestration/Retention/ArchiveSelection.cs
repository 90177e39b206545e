using Cairn.Content;
using Cairn.Maintenance.Retention;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Retention;

/// <summary>Which hot snapshots an archive tier should receive: the candidates, those it already has, and those to copy now.</summary>
/// <param name="Candidates">The hot snapshots the archive's rules name (see <see cref="ArchiveSelection.Candidates"/>), oldest first.</param>
/// <param name="Present">Candidates the archive already has (as the same id, or as a copy made from it).</param>
/// <param name="ToCopy">Candidates it lacks and would keep under its own retention, oldest first.</param>
public sealed record ArchiveChoice(IReadOnlyList<Snapshot> Candidates, IReadOnlyList<Snapshot> Present, IReadOnlyList<Snapshot> ToCopy);

/// <summary>
/// The archive rule, a pure function of the snapshots, the archive's policy and a time zone.
/// </summary>
/// <remarks>
/// A hot snapshot is a candidate for the archive when it is complete and either
/// <list type="bullet">
/// <item>it is the newest complete snapshot of a CLOSED calendar period (hour, day, ISO week, month, year) of a count rule
/// the archive's retention has (keep_monthly: months, keep_yearly: years …) in its group (host and paths); a period is
/// closed once the job has a complete snapshot in a later period. So January's last snapshot goes to the archive on the
/// first run in February. Without this rule, each daily run would send a new "newest snapshot of this month" and the
/// archive's retention would forget yesterday's: every day one upload to, and one early deletion from, a storage class
/// that bills a minimum of 90 or 180 days per object; or</item>
/// <item>it has all of the archive retention's keep_tags (a tag does not change, so there is nothing to wait for).</item>
/// </list>
/// Of the candidates the archive lacks, it receives those its own retention would keep, planned over what it already
/// has plus them: with keep_monthly: 4, a first run that finds a year of month ends in the hot target sends four (and
/// what the yearly rule wants), not twelve to forget at once.
/// </remarks>
public static class ArchiveSelection
{
    /// <summary>The hot snapshots the archive's rules name (see the remarks), oldest first.</summary>
    public static IReadOnlyList<Snapshot> Candidates(IEnumerable<Snapshot> hot, RetentionPolicy archivePolicy, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(hot);
        ArgumentNullException.ThrowIfNull(archivePolicy);
        ArgumentNullException.ThrowIfNull(timeZone);
        var complete = hot.Where(s => s.Status == SnapshotStatus.Complete).ToList();
        if (complete.Count == 0) return [];
        var frontier = complete.Max(s => s.Time);
        var chosen = new Dictionary<ObjectId, Snapshot>();
        foreach (var group in complete.GroupBy(s => SnapshotGroupings.KeyOf(s, archivePolicy.GroupBy)))
        {
            foreach (var (period, count) in RetentionDefinitions.CalendarRules(archivePolicy))
            {
                if (count == 0) continue;
                long open = RetentionPlanner.PeriodKey(period, frontier, timeZone);
                var newestOfClosed = group
                    .Select(s => (Key: RetentionPlanner.PeriodKey(period, s.Time, timeZone), Snapshot: s))
                    .Where(p => p.Key < open)
                    .GroupBy(p => p.Key)
                    .Select(g => g.Select(p => p.Snapshot).OrderByDescending(s => s.Time).ThenByDescending(s => s.Id).First());
                foreach (var snapshot in newestOfClosed) chosen.TryAdd(snapshot.Id, snapshot);
            }
            foreach (var tags in archivePolicy.KeepTags)
                foreach (var snapshot in group.Where(s => tags.All(t => s.Tags.Contains(t, StringComparer.Ordinal))))
                    chosen.TryAdd(snapshot.Id, snapshot);
        }
        return [.. chosen.Values.OrderBy(s => s.Time).ThenBy(s => s.Id)];
    }

    /// <summary>
    /// Splits the candidates of <paramref name="hot"/> into those <paramref name="archived"/> (the archive's snapshots of
    /// the job) has and those to copy now.
    /// </summary>
    public static ArchiveChoice Choose(IEnumerable<Snapshot> hot, IEnumerable<Snapshot> archived, RetentionPolicy archivePolicy, DateTimeOffset now, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(archived);
        var candidates = Candidates(hot, archivePolicy, timeZone);
        var archive = archived.ToList();
        // A copy between related repositories keeps the id; between unrelated ones it records the original's.
        var have = archive.Select(s => s.CopiedFrom ?? s.Id).ToHashSet();
        var present = candidates.Where(s => have.Contains(s.Id)).ToList();
        var missing = candidates.Where(s => !have.Contains(s.Id)).ToList();
        if (missing.Count == 0) return new ArchiveChoice(candidates, present, []);
        var plan = RetentionPlanner.Plan(archive.Concat(missing), archivePolicy, now, timeZone);
        var kept = plan.Groups.SelectMany(g => g.Kept).Select(s => s.Id).ToHashSet();
        return new ArchiveChoice(candidates, present, [.. missing.Where(s => kept.Contains(s.Id))]);
    }
}
