namespace Cairn.Storage.Azure;

/// <summary>Everything an <see cref="AzureBlobStore"/> needs: where, as whom, and how to transfer.</summary>
public sealed record AzureBlobStoreOptions
{
    /// <summary>The container and prefix of the repository.</summary>
    public required AzureLocation Location { get; init; }

    /// <summary>How to sign in (connection string, account key or SAS) and the service endpoint.</summary>
    public required AzureCredentials Credentials { get; init; }

    /// <summary>Connections, per-request timeout and the data packs' access tier (DataStorageClass).</summary>
    public TransferOptions Transfer { get; init; } = new();

    /// <summary>
    /// Blobs up to this size go up in one Put Blob request; larger ones as staged blocks committed together. Both are
    /// atomic. Packs (about 16 MiB) always take one request.
    /// </summary>
    public long SingleUploadLimit { get; init; } = 256L << 20;

    /// <summary>The block size of staged uploads (Azure allows up to 4000 MiB per block and 50,000 blocks).</summary>
    public long BlockSize { get; init; } = 64L << 20;
}
