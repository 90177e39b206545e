using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Cairn.Storage;

/// <summary>A test decorator that makes calls fail, stall or write partial blobs at random, reproducibly per seed.</summary>
/// <remarks>
/// A partial write breaks the <see cref="IBlobStore"/> contract on purpose: it leaves a prefix under the real name, as a
/// backend without atomic puts would. Over a store that keeps the contract it shows what the layers above do when a
/// backend does not: the put fails, and what it left is damage for check to name (see <see cref="PartiallyWritten"/>).
/// </remarks>
public sealed class FaultInjectingBlobStore : IBlobStore
{
    private enum Fault
    {
        None,
        Transient,
        Permanent,
        Stall,
        PartialWrite,
    }

    private readonly IBlobStore _inner;
    private readonly FaultPlan _plan;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly ConcurrentDictionary<BlobName, int> _partial = new();
    private int _injected;

    /// <summary>Wraps <paramref name="inner"/>, injecting the faults of <paramref name="plan"/>.</summary>
    public FaultInjectingBlobStore(IBlobStore inner, FaultPlan plan)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(plan);
        plan.Put.Validate("put");
        plan.Get.Validate("get");
        plan.ReadRange.Validate("read range");
        plan.Stat.Validate("stat");
        plan.List.Validate("list");
        plan.Delete.Validate("delete");
        _inner = inner;
        _plan = plan;
        _random = new Random(plan.Seed);
    }

    /// <inheritdoc/>
    public string Location => _inner.Location;

    /// <inheritdoc/>
    public T? Feature<T>() where T : class => this as T ?? _inner.Feature<T>();

    /// <summary>How many faults (errors, stalls and partial writes) have been injected so far.</summary>
    public int InjectedFaults => Volatile.Read(ref _injected);

    /// <summary>
    /// Each blob a partial write left a prefix of, with the length the whole blob has: a later put of the same name may
    /// have replaced the prefix since, which the inner store's length shows.
    /// </summary>
    public IReadOnlyDictionary<BlobName, int> PartiallyWritten => _partial;

    /// <inheritdoc/>
    public async Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var (fault, fraction) = Draw(_plan.Put, name.Kind);
        if (fault == Fault.PartialWrite && data.Length > 0)
        {
            // A non-atomic backend that dies mid-upload leaves a strict prefix under the real name.
            var prefix = (int)(fraction * data.Length);
            await _inner.PutAsync(name, data[..prefix], cancellationToken).ConfigureAwait(false);
            _partial[name] = data.Length;
            throw new StorageException($"injected fault: put of {name} died after {prefix} of {data.Length} bytes", isTransient: true);
        }

        await ApplyAsync(fault, "put", name, cancellationToken).ConfigureAwait(false);
        await _inner.PutAsync(name, data, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(Draw(_plan.Get, name.Kind).Fault, "get", name, cancellationToken).ConfigureAwait(false);
        return await _inner.GetAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(Draw(_plan.ReadRange, name.Kind).Fault, "read range of", name, cancellationToken).ConfigureAwait(false);
        await _inner.ReadRangeAsync(name, offset, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(Draw(_plan.Stat, name.Kind).Fault, "stat", name, cancellationToken).ConfigureAwait(false);
        return await _inner.StatAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await ApplyAsync(Draw(_plan.List, kind).Fault, "list", kind.ToString().ToLowerInvariant(), cancellationToken).ConfigureAwait(false);
        await foreach (var info in _inner.ListAsync(kind, cancellationToken).ConfigureAwait(false))
        {
            yield return info;
        }
    }

    /// <inheritdoc/>
    public async Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        await ApplyAsync(Draw(_plan.Delete, name.Kind).Fault, "delete", name, cancellationToken).ConfigureAwait(false);
        await _inner.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    // One draw per call, under a lock, so a given sequence of calls meets the same faults for a given seed.
    private (Fault Fault, double Fraction) Draw(FaultRates rates, BlobKind kind)
    {
        double roll, fraction;
        lock (_randomLock)
        {
            roll = _random.NextDouble();
            fraction = _random.NextDouble();
        }

        var fault = _plan.Kinds is { } kinds && !kinds.Contains(kind) ? Fault.None
            : (roll -= rates.Transient) < 0 ? Fault.Transient
            : (roll -= rates.Permanent) < 0 ? Fault.Permanent
            : (roll -= rates.Stall) < 0 ? Fault.Stall
            : roll - rates.PartialWrite < 0 ? Fault.PartialWrite
            : Fault.None;
        if (fault != Fault.None)
        {
            Interlocked.Increment(ref _injected);
        }

        return (fault, fraction);
    }

    private async Task ApplyAsync(Fault fault, string operation, object target, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case Fault.Transient or Fault.PartialWrite: // a partial write of an empty blob is just a failed put
                throw new StorageException($"injected fault: transient failure to {operation} {target}", isTransient: true);
            case Fault.Permanent:
                throw new StorageException($"injected fault: permanent failure to {operation} {target}", isTransient: false);
            case Fault.Stall:
                await Task.Delay(_plan.StallDuration, cancellationToken).ConfigureAwait(false);
                break;
        }
    }
}
