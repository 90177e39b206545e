using System.Collections.Concurrent;
using Cairn.Content.Packs;

namespace Cairn.Content.Index;

/// <summary>
/// The in-memory map from blob id to its location, merged from all index files. Thread-safe: backup workers
/// look ids up while finished packs are added.
/// </summary>
public sealed class RepositoryIndex
{
    private readonly ConcurrentDictionary<ObjectId, BlobLocation> _blobs = new();
    private readonly ConcurrentDictionary<ObjectId, byte> _packs = new();

    /// <summary>Number of distinct blobs known.</summary>
    public int Count => _blobs.Count;

    /// <summary>Ids of every pack that some index entry points into.</summary>
    public ICollection<ObjectId> PackIds => _packs.Keys;

    /// <summary>Adds every blob of one pack. A blob stored in two packs keeps its first location.</summary>
    public void AddPack(ObjectId packId, IReadOnlyList<BlobEntry> blobs)
    {
        _packs.TryAdd(packId, 0);
        foreach (var b in blobs) _blobs.TryAdd(b.Id, new BlobLocation(packId, b));
    }

    /// <summary>Adds every pack of a decoded index file.</summary>
    public void Add(IndexFile file)
    {
        foreach (var (packId, blobs) in file.Packs) AddPack(packId, blobs);
    }

    /// <summary>
    /// Forgets a blob (in memory only), so that storing it again writes a fresh copy: repair uses this for blobs whose
    /// every stored copy is lost, which would otherwise be "deduplicated" onto the lost copy.
    /// </summary>
    public bool Remove(in ObjectId id) => _blobs.TryRemove(id, out _);

    /// <summary>True if the blob is stored in some pack.</summary>
    public bool Contains(in ObjectId id) => _blobs.ContainsKey(id);

    /// <summary>Finds a blob's location.</summary>
    public bool TryGet(in ObjectId id, out BlobLocation location) => _blobs.TryGetValue(id, out location);

    /// <summary>Every blob and its location, in no particular order.</summary>
    public IEnumerable<KeyValuePair<ObjectId, BlobLocation>> Entries => _blobs;
}
