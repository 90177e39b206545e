using System.Security.Cryptography;

namespace Cairn.Content.Crypto;

/// <summary>Computes keyed object ids, HMAC-SHA256(IdKey, plaintext), which reveal nothing about content without the key.</summary>
public sealed class ObjectIdHasher
{
    private readonly byte[] _idKey;

    /// <summary>A hasher with the master key's id key.</summary>
    public ObjectIdHasher(MasterKey key)
        : this(key is null ? throw new ArgumentNullException(nameof(key)) : key.IdKey)
    {
    }

    /// <summary>A hasher with a raw HMAC key (copied).</summary>
    public ObjectIdHasher(byte[] idKey)
    {
        ArgumentNullException.ThrowIfNull(idKey);
        if (idKey.Length == 0) throw new ArgumentException("the id key is empty", nameof(idKey));
        _idKey = (byte[])idKey.Clone();
    }

    /// <summary>The id of <paramref name="data"/>. Thread-safe.</summary>
    public ObjectId Compute(ReadOnlySpan<byte> data)
    {
        // The static one-shot is thread-safe without per-thread state; see docs/PERFORMANCE.md for the
        // comparison with a reused IncrementalHash.
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_idKey, data, mac);
        return new ObjectId(mac);
    }
}
