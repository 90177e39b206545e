using System.Collections.Concurrent;

namespace Cairn.Tests.Storage;

/// <summary>
/// A clock that jumps forward by each timer's due time and fires the timer at once: a wait takes no real time, and the
/// clock afterwards shows the time it would have taken. Only for code whose waits are one-shot (a periodic timer, or a
/// refresh loop such as a lock lease's, would spin), so CLI tests run commands on it with --no-lock.
/// </summary>
internal sealed class SteppingTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly ConcurrentQueue<TimeSpan> _waits = new();
    private DateTimeOffset _now = start;

    /// <summary>Every wait, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits => [.. _waits];

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _now;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
            throw new NotSupportedException("a periodic timer would spin on a stepping clock");
        if (dueTime == Timeout.InfiniteTimeSpan) return System.CreateTimer(callback, state, dueTime, period);
        _waits.Enqueue(dueTime);
        lock (_lock) _now += dueTime;
        return System.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}
