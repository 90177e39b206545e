namespace Cairn.Storage;

/// <summary>The kind of a stored blob; each kind lives in its own namespace ("folder") of the store.</summary>
public enum BlobKind
{
    /// <summary>The repository's config file (exactly one, name "config").</summary>
    Config,
    /// <summary>Password-wrapped key files.</summary>
    Key,
    /// <summary>Pack files holding encrypted chunks and trees.</summary>
    Pack,
    /// <summary>Index files mapping chunk ids to packs.</summary>
    Index,
    /// <summary>Snapshot files.</summary>
    Snapshot,
    /// <summary>Lock files.</summary>
    Lock,
}

/// <summary>
/// Which storage class a put may use, on stores that have classes (S3 storage classes, Azure access tiers). A hint
/// carried by the <see cref="BlobName"/> of a put; the default, <see cref="Hot"/>, is always safe.
/// </summary>
public enum StorageTier
{
    /// <summary>The service's default (hot) class: every blob that is not a data pack, and data packs when in doubt.</summary>
    Hot,
    /// <summary>
    /// A pack that holds only file data (no trees), which only restore, dump, copy, check --read-data and prune's
    /// repacking read: it may go to <see cref="TransferOptions.DataStorageClass"/>.
    /// </summary>
    Data,
}

/// <summary>
/// The address of one blob: its kind and a name of lowercase hex digits (or "config").
/// Stores map it to a path such as <c>data/3f/3fa2…</c>; the mapping is part of the repository format.
/// </summary>
/// <remarks>
/// <see cref="Tier"/> is a hint for puts, not part of the address: equality, hashing and <see cref="Path"/> ignore it,
/// and names from listings always say <see cref="StorageTier.Hot"/>.
/// </remarks>
public readonly record struct BlobName(BlobKind Kind, string Name)
{
    /// <summary>
    /// For puts: the storage class this blob may get. The content store sets <see cref="StorageTier.Data"/> on packs
    /// that hold only file data; stores with classes read it through <see cref="TransferOptions.StorageClassFor"/>, and
    /// every decorator passes it on simply by passing the name.
    /// </summary>
    public StorageTier Tier { get; init; }

    /// <inheritdoc/>
    public bool Equals(BlobName other) => Kind == other.Kind && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Name is null ? 0 : StringComparer.Ordinal.GetHashCode(Name));

    /// <summary>The relative path of this blob inside a repository, with '/' separators.</summary>
    public string Path => Kind switch
    {
        BlobKind.Config => "config",
        BlobKind.Key => "keys/" + Name,
        BlobKind.Pack => "data/" + Name[..2] + "/" + Name,
        BlobKind.Index => "index/" + Name,
        BlobKind.Snapshot => "snapshots/" + Name,
        BlobKind.Lock => "locks/" + Name,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };

    /// <summary>The single config blob.</summary>
    public static BlobName Config { get; } = new(BlobKind.Config, "config");

    /// <inheritdoc/>
    public override string ToString() => Kind == BlobKind.Config ? "config" : $"{Kind.ToString().ToLowerInvariant()} {Name}";
}

/// <summary>What <see cref="IBlobStore.DeleteAbandonedWritesAsync"/> removed: files and their bytes.</summary>
public readonly record struct AbandonedWrites(int Files, long Bytes);

/// <summary>What <see cref="IBlobStore.StatAsync"/> and listings report about a blob.</summary>
/// <param name="Name">The blob.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="StorageClass">The service's storage class or access tier (e.g. "GLACIER", "Archive") where the store knows
/// it; null for stores without classes and for the service's default hot class.</param>
/// <param name="IsArchived">True when the blob is in an archive class and must be thawed before it can be read.</param>
public readonly record struct BlobInfo(BlobName Name, long Length, string? StorageClass = null, bool IsArchived = false);
