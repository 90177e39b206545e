namespace Cairn.Storage;

/// <summary>
/// How a remote store talks to its service: parallel connections, per-request timeout, upload bandwidth and retries.
/// One record for every remote backend, so the CLI's --connections, --timeout and --limit-upload mean the same thing
/// on S3, Azure, SFTP and REST. The local store ignores what does not apply to it.
/// </summary>
public sealed record TransferOptions
{
    /// <summary>How many transfers may run at once (restic's -o *.connections); also bounds parallel pack uploads.</summary>
    public int Connections { get; init; } = 5;

    /// <summary>How long one request may take before it is abandoned and, being transient, retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Upload bandwidth cap in bytes per second for all transfers together; null means unlimited.</summary>
    public long? UploadBytesPerSecond { get; init; }

    /// <summary>
    /// The storage class (S3: STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE) or access tier (Azure: Cool, Cold,
    /// Archive) for data packs; null keeps the service's default. Metadata always stays in the hot class.
    /// </summary>
    public string? DataStorageClass { get; init; }

    /// <summary>
    /// The storage class a put of <paramref name="name"/> should request: <see cref="DataStorageClass"/> for packs the
    /// content store marked <see cref="StorageTier.Data"/> (they hold no trees), null (the service's default, hot) for
    /// everything else — config, keys, index, snapshots, locks and packs holding trees, which backup, forget, ls and
    /// prune's planning read.
    /// </summary>
    public string? StorageClassFor(BlobName name) =>
        name.Kind == BlobKind.Pack && name.Tier == StorageTier.Data ? DataStorageClass : null;

    /// <summary>How transient failures are retried before the error reaches the user.</summary>
    public RetryPolicy Retry { get; init; } = new();
}
