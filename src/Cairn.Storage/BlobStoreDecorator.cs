namespace Cairn.Storage;

/// <summary>
/// A store that wraps another (retry, fault injection, rate limits, logging). Optional capabilities of the store
/// underneath (<see cref="IColdStorageStore"/>, <see cref="IContainerStore"/>) are found through it with
/// <see cref="BlobStoreCapabilities.Find{T}"/>, so a decorator need not implement every capability interface itself.
/// </summary>
public interface IBlobStoreDecorator
{
    /// <summary>The wrapped store.</summary>
    IBlobStore Inner { get; }
}

/// <summary>Finds optional capabilities of a store, looking through its decorators.</summary>
public static class BlobStoreCapabilities
{
    /// <summary>
    /// The first of <paramref name="store"/> and the stores it wraps (through <see cref="IBlobStoreDecorator.Inner"/>)
    /// that implements <typeparamref name="T"/>, or null when none does.
    /// </summary>
    public static T? Find<T>(IBlobStore store) where T : class
    {
        ArgumentNullException.ThrowIfNull(store);
        for (IBlobStore? current = store; current is not null; current = (current as IBlobStoreDecorator)?.Inner)
            if (current is T found) return found;
        return null;
    }
}
