namespace Cairn.Storage;

/// <summary>
/// Named, immutable blobs: the bottom layer of a repository. Every backend (local disk, S3, Azure, SFTP, REST)
/// implements this contract, and one conformance suite checks each of them.
/// </summary>
/// <remarks>
/// The contract:
/// <list type="bullet">
/// <item>Put is atomic: a reader sees either no blob or the whole blob, never a prefix, even if the writer dies.
/// Putting a name that exists replaces it atomically (callers only do this with identical content).</item>
/// <item>Read-after-write: once <see cref="PutAsync"/> returns, get, stat and list see the blob.</item>
/// <item>A missing blob raises <see cref="BlobNotFoundException"/> from get, read-range and stat, never a generic error.
/// Delete of a missing blob is not an error (deletes are idempotent).</item>
/// <item>Failures raise <see cref="StorageException"/>, with <see cref="StorageException.IsTransient"/> telling
/// whether a retry may help; a full disk raises <see cref="StorageFullException"/>.</item>
/// <item>Cancellation is honoured before anything is modified: a cancelled put leaves no blob and no partial file.</item>
/// <item>Listing order is unspecified.</item>
/// <item>Names are ASCII letters and digits (the config blob is "config"); any other name raises
/// <see cref="ArgumentException"/>, because stores turn names into paths and keys.</item>
/// </list>
/// </remarks>
public interface IBlobStore : IAsyncDisposable
{
    /// <summary>A human-readable location, e.g. "/srv/backup" or "s3:bucket/prefix", for messages.</summary>
    string Location { get; }

    /// <summary>Stores <paramref name="data"/> under <paramref name="name"/>, atomically and durably.</summary>
    Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the rest of <paramref name="content"/> (a seekable stream, read from its current position) under
    /// <paramref name="name"/>, with the guarantees of <see cref="PutAsync(BlobName, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// Remote stores override this to upload without holding the blob in memory; they may seek back to the start
    /// position to retry. The default reads it into memory.
    /// </summary>
    async Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        await PutAsync(name, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a whole blob.</summary>
    Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default);

    /// <summary>Reads <paramref name="length"/> bytes starting at <paramref name="offset"/> into <paramref name="destination"/>.
    /// Fails with a permanent <see cref="StorageException"/> if the blob is shorter than the range.</summary>
    Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default);

    /// <summary>Returns the blob's length.</summary>
    Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default);

    /// <summary>Lists all blobs of one kind.</summary>
    IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a blob of <paramref name="kind"/> that is written in pieces and named when committed. Stores that can
    /// spool to a file override this, so large blobs are not held in memory; the default collects them in memory.
    /// </summary>
    IBlobWriter CreateWriter(BlobKind kind) => new BufferedBlobWriter(this);

    /// <summary>
    /// Deletes what interrupted writers left behind (temporary files of puts and of pack writers killed before they
    /// committed) whose last write is older than <paramref name="olderThan"/>. Only for callers that hold the
    /// repository exclusively (prune): a younger file may belong to a write still in progress. Stores whose puts leave
    /// nothing behind keep the default, which finds nothing.
    /// </summary>
    Task<AbandonedWrites> DeleteAbandonedWritesAsync(TimeSpan olderThan, CancellationToken cancellationToken) =>
        Task.FromResult(new AbandonedWrites(0, 0));

    /// <summary>
    /// The store's optional capability <typeparamref name="T"/> (e.g. <see cref="IColdStorageStore"/>,
    /// <see cref="IContainerStore"/>), or null. Decorators forward this to the store they wrap, so a capability is found
    /// however many layers of retrying or throttling sit on top; a type test on the outer object would miss it.
    /// </summary>
    T? Feature<T>() where T : class => this as T;

    /// <summary>Deletes a blob; deleting a missing blob succeeds.</summary>
    Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default);
}
