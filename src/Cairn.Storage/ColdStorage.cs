namespace Cairn.Storage;

/// <summary>
/// A blob is in an archive class (S3 GLACIER or DEEP_ARCHIVE, Azure Archive) and cannot be read until it is thawed
/// (restored to a readable copy), which takes minutes to hours. Reads raise this instead of a generic storage error so
/// commands can say which data is cold and offer to thaw it.
/// </summary>
public sealed class BlobArchivedException : StorageException
{
    /// <summary>Creates the error for <paramref name="name"/>; <paramref name="storageClass"/> is the service's name for its class.</summary>
    public BlobArchivedException(BlobName name, string storageClass, bool thawInProgress, Exception? inner = null)
        : base(thawInProgress
                ? $"{name} is in {storageClass} and its thaw is still in progress: run the command again later"
                : $"{name} is in {storageClass} and must be thawed before it can be read (restore, dump, copy, check --read-data " +
                  "and prune take --thaw to request that and wait)",
            isTransient: false, inner, ExitCode.ColdStorage)
    {
        Name = name;
        StorageClass = storageClass;
        ThawInProgress = thawInProgress;
    }

    /// <summary>The cold blob.</summary>
    public BlobName Name { get; }

    /// <summary>The storage class or access tier it is in, as the service names it.</summary>
    public string StorageClass { get; }

    /// <summary>A thaw was already requested and has not finished.</summary>
    public bool ThawInProgress { get; }
}

/// <summary>Whether a blob can be read now.</summary>
public enum ThawState
{
    /// <summary>Readable: never archived, or thawed.</summary>
    Readable,
    /// <summary>Archived; a thaw has been requested and is running.</summary>
    InProgress,
}

/// <summary>How to thaw: how long the readable copy lives and how fast (and dear) the retrieval is.</summary>
/// <param name="Days">Days the thawed copy stays readable (S3 RestoreObject's Days; ignored where the service moves the blob back to a hot tier).</param>
/// <param name="Priority">The service's retrieval speed: "Expedited", "Standard" or "Bulk" on S3; "High" or "Standard" on Azure.</param>
public sealed record ThawRequest(int Days = 7, string Priority = "Standard");

/// <summary>
/// Implemented by stores that can put data packs in archive classes. Metadata (config, keys, index, snapshots, locks)
/// and packs holding trees are always written to a hot class, so only data packs ever need thawing.
/// </summary>
/// <remarks>
/// What such a store must do (commands rely on it through <see cref="ColdData"/>):
/// <list type="bullet">
/// <item>Puts request <see cref="TransferOptions.StorageClassFor"/>(name): the data class only for names whose
/// <see cref="BlobName.Tier"/> is <see cref="StorageTier.Data"/>, the default class for everything else.</item>
/// <item><see cref="IBlobStore.StatAsync"/> is exact: <see cref="BlobInfo.IsArchived"/> is true exactly when a read would
/// raise <see cref="BlobArchivedException"/> now (archived, and no thawed copy is readable yet).</item>
/// <item>Listings fill <see cref="BlobInfo.StorageClass"/> and <see cref="BlobInfo.IsArchived"/> where the service reports
/// them; they may say archived for a blob whose thawed copy is readable (commands confirm with stat), but must not say
/// readable for one that is not.</item>
/// <item>Reads (get, read-range) of an archived blob raise <see cref="BlobArchivedException"/>, never a generic error.</item>
/// <item>Classes that are slow or dear but readable at once (S3 STANDARD_IA, GLACIER_IR; Azure Cool, Cold) are not archived.</item>
/// </list>
/// Decorators need not implement this interface: callers find it with <see cref="IBlobStore.Feature{T}"/>.
/// </remarks>
public interface IColdStorageStore
{
    /// <summary>
    /// Requests a thaw of <paramref name="name"/> if it is archived and none is running; returns whether it is readable
    /// now. Idempotent: asking again while a thaw runs only reports <see cref="ThawState.InProgress"/>.
    /// </summary>
    Task<ThawState> RequestThawAsync(BlobName name, ThawRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Implemented by stores whose repository lives in a container the service must create first (an S3 bucket, an Azure
/// container, a remote directory). <c>cairn init</c> calls it; every other command reports a missing container as
/// <see cref="StorageLocationNotFoundException"/>.
/// </summary>
public interface IContainerStore
{
    /// <summary>Creates the bucket, container or directory if it does not exist; does nothing if it does.</summary>
    Task CreateContainerIfMissingAsync(CancellationToken cancellationToken);
}
