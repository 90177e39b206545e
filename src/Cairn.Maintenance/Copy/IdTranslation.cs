using Cairn.Content;

namespace Cairn.Maintenance.Copy;

/// <summary>
/// Source id → destination id of blobs already in the destination, for copies between unrelated repositories (whose
/// keyed ids differ for the same plaintext). One map serves chunks and trees alike: both ids are the keyed hash of the
/// plaintext, so the translation of an id does not depend on the blob's type. Thread-safe.
/// </summary>
/// <remarks>
/// Memory: one <see cref="Dictionary{TKey,TValue}"/> entry per distinct chunk and tree, 76 bytes (two 32-byte ids,
/// cached hash, next link, bucket), and up to twice that just after the table grew: 1 million chunks (about 1 TB of
/// data at the 1 MiB average) take 76–152 MB.
/// </remarks>
public sealed class IdTranslation
{
    private readonly Dictionary<ObjectId, ObjectId> _map = [];
    private readonly Lock _lock = new();

    /// <summary>Entries known.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _map.Count;
        }
    }

    /// <summary>The destination id of a source blob, if known.</summary>
    public bool TryGet(in ObjectId source, out ObjectId destination)
    {
        lock (_lock) return _map.TryGetValue(source, out destination);
    }

    /// <summary>Records a translation; an existing one is kept (both are the same blob's plaintext, so either is right).</summary>
    public void Add(in ObjectId source, in ObjectId destination)
    {
        lock (_lock) _map.TryAdd(source, destination);
    }

    /// <summary>Records many translations at once (one lock).</summary>
    public void AddRange(IEnumerable<KeyValuePair<ObjectId, ObjectId>> pairs)
    {
        lock (_lock)
            foreach (var (source, destination) in pairs) _map.TryAdd(source, destination);
    }
}
