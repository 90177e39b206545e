using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>Thrown by <see cref="CrashingBlobStore"/> in place of the write it refuses: the process "died" there.</summary>
internal sealed class SimulatedCrashException(string message) : Exception(message);

/// <summary>
/// Lets the first <c>allowedWrites</c> puts and deletes through, then fails every later one without performing it:
/// the repository is left exactly as a process killed after that many writes would leave it. Reads always work.
/// With no limit it only counts, so a first run tells how many crash points there are.
/// </summary>
internal sealed class CrashingBlobStore(IBlobStore inner, int allowedWrites = int.MaxValue) : IBlobStore
{
    private int _writes;

    /// <summary>Writes attempted so far (performed or refused).</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>The writes performed, in order: "put index …", "delete pack …".</summary>
    public List<string> Log { get; } = [];

    public string Location => inner.Location;

    private void Admit(string operation, BlobName name)
    {
        int n = Interlocked.Increment(ref _writes);
        if (n > allowedWrites) throw new SimulatedCrashException($"simulated crash before write {n}: {operation} {name}");
        lock (Log) Log.Add($"{operation} {name.Kind.ToString().ToLowerInvariant()}");
    }

    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Admit("put", name);
        return inner.PutAsync(name, data, cancellationToken);
    }

    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        Admit("delete", name);
        return inner.DeleteAsync(name, cancellationToken);
    }

    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    public Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default) =>
        inner.ReadRangeAsync(name, offset, destination, cancellationToken);

    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default) => inner.StatAsync(name, cancellationToken);

    public IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, CancellationToken cancellationToken = default) => inner.ListAsync(kind, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
