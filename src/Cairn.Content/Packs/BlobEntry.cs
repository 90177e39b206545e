namespace Cairn.Content.Packs;

/// <summary>Flags of a stored blob. The values are part of the repository format.</summary>
[Flags]
public enum BlobFlags : byte
{
    /// <summary>Stored as is.</summary>
    None = 0,
    /// <summary>The payload was zstd-compressed before encryption.</summary>
    Compressed = 1,
}

/// <summary>One blob inside a pack: what it is, where it starts, and how long it is sealed and in plaintext.</summary>
public readonly record struct BlobEntry(ObjectType Type, BlobFlags Flags, ObjectId Id, uint Offset, uint StoredLength, uint RawLength)
{
    /// <summary>True when the payload is zstd-compressed.</summary>
    public bool IsCompressed => (Flags & BlobFlags.Compressed) != 0;
}
