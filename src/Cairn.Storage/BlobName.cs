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
/// The address of one blob: its kind and a name of lowercase hex digits (or "config").
/// Stores map it to a path such as <c>data/3f/3fa2…</c>; the mapping is part of the repository format.
/// </summary>
public readonly record struct BlobName(BlobKind Kind, string Name)
{
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
