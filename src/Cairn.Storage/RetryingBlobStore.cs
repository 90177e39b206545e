using System.Runtime.CompilerServices;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Cairn.Storage;

/// <summary>A decorator that retries transient storage failures with exponential backoff and jitter.</summary>
/// <remarks>
/// Retrying every operation is safe because of the store contract: puts are atomic and only ever repeat identical
/// content, deletes are idempotent, and reads have no side effects. Permanent errors, not-found and cancellation
/// pass straight through.
/// </remarks>
public sealed class RetryingBlobStore : IBlobStore
{
    private readonly IBlobStore _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly RetryPolicy _policy;

    /// <summary>Wraps <paramref name="inner"/>, retrying as <paramref name="policy"/> says.</summary>
    public RetryingBlobStore(IBlobStore inner, RetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.MaxAttempts, 1);
        _inner = inner;
        _policy = policy;
        var builder = new ResiliencePipelineBuilder { TimeProvider = policy.TimeProvider };
        if (policy.MaxAttempts > 1)
        {
            var random = policy.Seed is { } seed ? new Random(seed) : Random.Shared;
            var randomLock = new Lock();
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<StorageException>(e => e.IsTransient).Handle<TimeoutRejectedException>(),
                MaxRetryAttempts = policy.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true, // so many clients hit by one outage do not all retry in lockstep
                Delay = policy.BaseDelay,
                MaxDelay = policy.MaxDelay,
                Randomizer = () =>
                {
                    // Polly may call this from concurrent operations; a seeded Random is not thread-safe.
                    lock (randomLock)
                    {
                        return random.NextDouble();
                    }
                },
            });
        }

        // Added after the retry, so it limits each attempt, not the whole series: a hung connection is abandoned and retried.
        if (policy.AttemptTimeout is { } timeout) builder.AddTimeout(timeout);
        _pipeline = builder.Build();
    }

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        Run(
            ct => new ValueTask(_inner.PutAsync(name, data, ct)), cancellationToken);

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        // Each attempt starts from where the caller's stream started; the contract says content is seekable.
        var start = content.Position;
        return Run(
            ct =>
            {
                content.Position = start;
                return new ValueTask(_inner.PutAsync(name, content, ct));
            }, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>Spools and puts through this decorator, so the final upload is retried like any other put.</remarks>
    public IBlobWriter CreateWriter(BlobKind kind) => new SpoolingBlobWriter(this);

    /// <inheritdoc/>
    public Task<AbandonedWrites> DeleteAbandonedWritesAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        Run(ct => new ValueTask<AbandonedWrites>(_inner.DeleteAbandonedWritesAsync(olderThan, ct)), cancellationToken);

    /// <inheritdoc/>
    public T? Feature<T>() where T : class => this as T ?? _inner.Feature<T>();

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) =>
        Run(
            ct => new ValueTask<byte[]>(_inner.GetAsync(name, ct)), cancellationToken);

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        Run(
            ct => new ValueTask(_inner.ReadRangeAsync(name, offset, destination, ct)), cancellationToken);

    /// <inheritdoc/>
    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) =>
        Run(
            ct => new ValueTask<BlobInfo>(_inner.StatAsync(name, ct)), cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A listing that fails halfway cannot be resumed without repeating names, so each attempt collects the whole
        // listing and only a complete one is handed on. Even a large repository lists only tens of thousands of names.
        var listing = await Run(
            async ct =>
            {
                var all = new List<BlobInfo>();
                await foreach (var info in _inner.ListAsync(kind, ct).ConfigureAwait(false))
                {
                    all.Add(info);
                }

                return all;
            },
            cancellationToken).ConfigureAwait(false);
        foreach (var info in listing)
        {
            yield return info;
        }
    }

    /// <inheritdoc/>
    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default) =>
        Run(
            ct => new ValueTask(_inner.DeleteAsync(name, ct)), cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private async Task Run(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e)
        {
            throw TimedOut(e);
        }
    }

    private async Task<T> Run<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException e)
        {
            throw TimedOut(e);
        }
    }

    private StorageUnreachableException TimedOut(TimeoutRejectedException e) =>
        new(Location, $"every attempt ({_policy.MaxAttempts}) timed out after {_policy.AttemptTimeout?.TotalSeconds:0.#} s (see --timeout)", isTransient: true, e);
}
