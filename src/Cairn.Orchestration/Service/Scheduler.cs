namespace Cairn.Orchestration.Service;

/// <summary>A job (or a target's prune) the daemon runs on a schedule, with its jitter (zero: none).</summary>
public sealed record ScheduledJob(string Name, CronSchedule Schedule, TimeSpan Jitter)
{
    /// <summary>
    /// Names of other entries that must never run at the same time as this one (either side naming the other is enough),
    /// e.g. a target's prune, which takes the exclusive lock, and the jobs that write to that target.
    /// </summary>
    public IReadOnlyCollection<string> ExcludedWith { get; init; } = [];
}

/// <summary>A run the scheduler has started: which job, for which slot, and up to which time slots are now handled.</summary>
/// <param name="Job">The job's name.</param>
/// <param name="Slot">The first slot not handled before (the one that made the job due).</param>
/// <param name="DueAt">The slot plus its jitter: when the run became due.</param>
/// <param name="HandledThrough">The latest slot at or before the start: every slot up to it is covered by this run.</param>
public sealed record DueRun(string Job, DateTimeOffset Slot, DateTimeOffset DueAt, DateTimeOffset HandledThrough)
{
    /// <summary>True when the run stands for more than one slot (after downtime, or a long previous run).</summary>
    public bool CatchUp => HandledThrough > Slot;
}

/// <summary>
/// The daemon's rules, as pure logic over an injected clock and a seeded random source: each job's next slot comes from
/// its cron schedule (plus a random jitter drawn once per slot); a job never runs twice at once; at most
/// <c>maxConcurrent</c> runs go at once, the others waiting in the order they became due; and slots missed while the
/// daemon was down (or while the job was still running) are caught up by ONE run, not one per slot; and two entries
/// that exclude each other never run at once: a due entry whose partner runs waits for it, and entries due after it
/// that it excludes wait behind it (an entry that waited goes first when it is free to, so neither side starves the other). Where each job
/// stands is the last slot handled, which the daemon keeps in the job's state file. Not thread-safe: one loop drives it.
/// </summary>
public sealed class Scheduler
{
    private readonly List<Entry> _entries;
    private readonly int _maxConcurrent;
    private readonly TimeProvider _time;
    private readonly Random _random;

    private sealed class Entry(ScheduledJob job, int order)
    {
        public ScheduledJob Job { get; } = job;
        public int Order { get; } = order;
        public DateTimeOffset? Slot { get; set; }
        public DateTimeOffset DueAt { get; set; }
        public bool Running { get; set; }
        public List<Entry> Excludes { get; } = [];
        public bool Waited { get; set; }
    }

    /// <summary>
    /// Starts from each job's last handled slot (<paramref name="lastSlot"/>, from its state file). A job with none
    /// (never scheduled before) starts at its next slot: the daemon's first start does not run everything at once.
    /// </summary>
    public Scheduler(IReadOnlyList<ScheduledJob> jobs, int maxConcurrent, TimeProvider time, Random random, Func<string, DateTimeOffset?> lastSlot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        _maxConcurrent = maxConcurrent;
        _time = time;
        _random = random;
        var now = time.GetUtcNow();
        _entries = [.. jobs.Select((job, i) => new Entry(job, i))];
        foreach (var a in _entries)
            a.Excludes.AddRange(_entries.Where(b => b != a && (a.Job.ExcludedWith.Contains(b.Job.Name) || b.Job.ExcludedWith.Contains(a.Job.Name))));
        foreach (var entry in _entries) Plan(entry, lastSlot(entry.Job.Name) ?? now);
    }

    /// <summary>Runs going on now.</summary>
    public int Running => _entries.Count(e => e.Running);

    /// <summary>When <paramref name="job"/> is next due (its slot plus jitter), or null when its schedule has no further slot.</summary>
    public DateTimeOffset? NextDue(string job) => _entries.FirstOrDefault(e => e.Job.Name == job) is { Slot: not null } e ? e.DueAt : null;

    /// <summary>
    /// When the daemon should next call <see cref="TakeDue"/>: the earliest due time of a job that is not running, or null
    /// when nothing can start until a run finishes (all slots taken, or every due entry waits for one it excludes) or no
    /// job has a further slot.
    /// </summary>
    public DateTimeOffset? NextWake
    {
        get
        {
            if (Running >= _maxConcurrent) return null;
            var waiting = Waiting(_time.GetUtcNow());
            return _entries.Where(e => !e.Running && e.Slot is not null && !waiting.Contains(e)).Select(e => (DateTimeOffset?)e.DueAt).Min();
        }
    }

    /// <summary>
    /// Starts every run that may start now: due, not already running, not excluded by a running or earlier-due waiting
    /// entry, within the concurrency limit, earliest due first. Each started run covers every slot up to now, so a job
    /// due several times over starts once.
    /// </summary>
    public IReadOnlyList<DueRun> TakeDue()
    {
        var now = _time.GetUtcNow();
        var started = new List<DueRun>();
        var waiting = new HashSet<Entry>();
        int free = _maxConcurrent - Running;
        foreach (var entry in DueNow(now))
        {
            if (entry.Excludes.Any(x => x.Running || waiting.Contains(x)))
            {
                waiting.Add(entry);
                entry.Waited = true;
                continue;
            }
            if (free-- <= 0) break;
            entry.Waited = false;
            var slot = entry.Slot!.Value;
            var handled = entry.Job.Schedule.LatestAtOrBefore(now) is { } latest && latest > slot ? latest : slot;
            started.Add(new DueRun(entry.Job.Name, slot, entry.DueAt, handled));
            entry.Running = true;
            Plan(entry, handled);
        }
        return started;
    }

    /// <summary>True when <paramref name="job"/> is due but waits for an entry it excludes.</summary>
    public bool IsWaiting(string job) => Waiting(_time.GetUtcNow()).Any(e => e.Job.Name == job);

    // Entries that already waited for one they exclude go first: a job that runs longer than its interval is always
    // overdue when it ends, and would otherwise start again before the prune that waited for it, for ever.
    private IEnumerable<Entry> DueNow(DateTimeOffset now) =>
        _entries.Where(e => !e.Running && e.Slot is not null && e.DueAt <= now).OrderByDescending(e => e.Waited).ThenBy(e => e.DueAt).ThenBy(e => e.Order);

    // The due entries that cannot start until something running ends: the ones TakeDue would skip, were slots free.
    private HashSet<Entry> Waiting(DateTimeOffset now)
    {
        var waiting = new HashSet<Entry>();
        foreach (var entry in DueNow(now))
            if (entry.Excludes.Any(x => x.Running || waiting.Contains(x))) waiting.Add(entry);
        return waiting;
    }

    /// <summary>Records that <paramref name="job"/>'s run ended; its next slot may then start (at once, if it already passed).</summary>
    public void Finished(string job)
    {
        var entry = _entries.First(e => e.Job.Name == job);
        entry.Running = false;
    }

    private void Plan(Entry entry, DateTimeOffset handledThrough)
    {
        entry.Slot = entry.Job.Schedule.NextAfter(handledThrough);
        var jitter = entry.Job.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks((long)(_random.NextDouble() * entry.Job.Jitter.Ticks)) : TimeSpan.Zero;
        entry.DueAt = entry.Slot is { } slot ? slot + jitter : DateTimeOffset.MaxValue;
    }
}
