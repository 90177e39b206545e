namespace Cairn.Storage;

/// <summary>Small operations every caller of a blob store would otherwise write with its own try/catch.</summary>
public static class BlobStoreExtensions
{
    /// <summary>Stats <paramref name="name"/>, or returns null when it does not exist; every other failure propagates.</summary>
    public static async Task<BlobInfo?> TryStatAsync(this IBlobStore store, BlobName name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        try
        {
            return await store.StatAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }
}
