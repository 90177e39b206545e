namespace Cairn.Storage;

/// <summary>How <see cref="RetryingBlobStore"/> retries transient failures.</summary>
public sealed record RetryPolicy
{
    /// <summary>The default: 5 attempts in all, waits starting near 200 ms and doubling, never over 10 s.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>Attempts in all, including the first; 1 disables retrying.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The median wait before the first retry; later waits grow exponentially.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest single wait.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest one attempt may take before it is cancelled and counted as a transient failure; null: no limit.</summary>
    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>Seeds the jitter, for reproducible tests; null draws it from the shared generator.</summary>
    public int? Seed { get; init; }

    /// <summary>The clock that waits between attempts; tests pass one that does not really sleep.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
