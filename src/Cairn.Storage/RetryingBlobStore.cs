using System.Runtime.CompilerServices;
using Polly;
using Polly.Retry;

namespace Cairn.Storage;

/// <summary>A decorator that retries transient storage failures with exponential backoff and jitter.</summary>
/// <remarks>
/// Retrying every operation is safe because of the store contract: puts are atomic and only ever repeat identical
/// content, deletes are idempotent, and reads have no side effects. Permanent errors, not-found and cancellation
/// pass straight through.
/// </remarks>
public sealed class RetryingBlobStore : IBlobStore, IBlobStoreDecorator
{
    private readonly IBlobStore _inner;
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Wraps <paramref name="inner"/>, retrying as <paramref name="policy"/> says.</summary>
    public RetryingBlobStore(IBlobStore inner, RetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.MaxAttempts, 1);
        _inner = inner;
        var builder = new ResiliencePipelineBuilder { TimeProvider = policy.TimeProvider };
        if (policy.MaxAttempts > 1)
        {
            var random = policy.Seed is { } seed ? new Random(seed) : Random.Shared;
            var randomLock = new Lock();
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<StorageException>(e => e.IsTransient),
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

        _pipeline = builder.Build();
    }

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <inheritdoc/>
    public IBlobStore Inner => _inner;

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(
            ct => new ValueTask(_inner.PutAsync(name, data, ct)), cancellationToken).AsTask();

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(
            ct => new ValueTask<byte[]>(_inner.GetAsync(name, ct)), cancellationToken).AsTask();

    /// <inheritdoc/>
    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(
            ct => new ValueTask(_inner.ReadRangeAsync(name, offset, destination, ct)), cancellationToken).AsTask();

    /// <inheritdoc/>
    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(
            ct => new ValueTask<BlobInfo>(_inner.StatAsync(name, ct)), cancellationToken).AsTask();

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A listing that fails halfway cannot be resumed without repeating names, so each attempt collects the whole
        // listing and only a complete one is handed on. Even a large repository lists only tens of thousands of names.
        var listing = await _pipeline.ExecuteAsync(
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
        _pipeline.ExecuteAsync(
            ct => new ValueTask(_inner.DeleteAsync(name, ct)), cancellationToken).AsTask();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
