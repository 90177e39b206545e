using System.Runtime.InteropServices;
using Cairn.Content.Packs;

namespace Cairn.Content.Index;

/// <summary>
/// The in-memory map from blob id to its location, merged from all index files. Thread-safe: backup workers
/// look ids up while finished packs are added.
/// </summary>
/// <remarks>
/// Every backup, restore and check holds one entry per blob of the repository, so the layout is compact: a flat array
/// of 52-byte entries (the pack as a number into a list of pack ids) and an open-addressing table of entry numbers,
/// about 60 bytes a blob instead of the ~144 of a ConcurrentDictionary node holding a <see cref="BlobLocation"/>.
/// Writers take a lock; readers take none. A writer fills an entry before it publishes its number in a slot, and
/// builds grown arrays completely before publishing them, so a reader sees either an old or a complete state.
/// </remarks>
public sealed class RepositoryIndex
{
    private const int Tombstone = -1;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly struct Entry(ObjectId id, int pack, BlobEntry blob)
    {
        public readonly ObjectId Id = id;
        public readonly int Pack = pack;
        public readonly uint Offset = blob.Offset;
        public readonly uint StoredLength = blob.StoredLength;
        public readonly uint RawLength = blob.RawLength;
        public readonly ObjectType Type = blob.Type;
        public readonly BlobFlags Flags = blob.Flags;

        public BlobEntry ToBlobEntry() => new(Type, Flags, Id, Offset, StoredLength, RawLength);
    }

    // Slots hold entry number + 1 (0 = empty, -1 = forgotten); the table is a power of two at most half full.
    // Packs holds the pack ids by number; a pack's id is written before any entry that names it.
    private sealed record State(Entry[] Entries, int[] Slots, ObjectId[] Packs);

    private readonly Lock _writeLock = new();
    private readonly Dictionary<ObjectId, int> _packNumbers = [];
    private volatile State _state = new([], new int[16], []);
    private int _count;
    private int _live;

    /// <summary>Number of distinct blobs known.</summary>
    public int Count => Volatile.Read(ref _live);

    /// <summary>Ids of every pack that some index entry points into.</summary>
    public IReadOnlyCollection<ObjectId> PackIds
    {
        get
        {
            lock (_writeLock) return [.. _state.Packs.AsSpan(0, _packNumbers.Count)];
        }
    }

    /// <summary>Adds every blob of one pack. A blob stored in two packs keeps its first location.</summary>
    public void AddPack(ObjectId packId, IReadOnlyList<BlobEntry> blobs)
    {
        lock (_writeLock)
        {
            if (!_packNumbers.TryGetValue(packId, out int pack))
            {
                pack = _packNumbers.Count;
                var state = _state;
                if (pack == state.Packs.Length)
                {
                    var packs = new ObjectId[Math.Max(16, pack * 2)];
                    state.Packs.CopyTo(packs, 0);
                    _state = state = state with { Packs = packs };
                }
                state.Packs[pack] = packId;
                _packNumbers.Add(packId, pack);
            }
            foreach (var b in blobs) Insert(new Entry(b.Id, pack, b));
        }
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
    public bool Remove(in ObjectId id)
    {
        lock (_writeLock)
        {
            var state = _state;
            int slot = FindSlot(state, id);
            if (slot < 0) return false;
            Volatile.Write(ref state.Slots[slot], Tombstone);
            _live--;
            return true;
        }
    }

    /// <summary>True if the blob is stored in some pack.</summary>
    public bool Contains(in ObjectId id) => TryFind(_state, id, out _);

    /// <summary>Finds a blob's location.</summary>
    public bool TryGet(in ObjectId id, out BlobLocation location)
    {
        var state = _state;
        if (!TryFind(state, id, out var entry))
        {
            location = default;
            return false;
        }
        location = new BlobLocation(state.Packs[entry.Pack], entry.ToBlobEntry());
        return true;
    }

    /// <summary>Every blob and its location, in no particular order.</summary>
    public IEnumerable<KeyValuePair<ObjectId, BlobLocation>> Entries
    {
        get
        {
            var state = _state;
            foreach (int number in state.Slots)
            {
                if (number <= 0) continue;
                var entry = state.Entries[number - 1];
                yield return new(entry.Id, new BlobLocation(state.Packs[entry.Pack], entry.ToBlobEntry()));
            }
        }
    }

    // Ids are keyed hashes, so their first bytes (the hash code) are uniformly distributed.
    private static int Home(in ObjectId id, int mask) => id.GetHashCode() & mask;

    private static bool TryFind(State state, in ObjectId id, out Entry entry)
    {
        int mask = state.Slots.Length - 1;
        for (int slot = Home(id, mask); ; slot = (slot + 1) & mask)
        {
            int number = Volatile.Read(ref state.Slots[slot]);
            if (number == 0) break;
            if (number == Tombstone) continue;
            ref readonly var candidate = ref state.Entries[number - 1];
            if (candidate.Id == id)
            {
                entry = candidate;
                return true;
            }
        }
        entry = default;
        return false;
    }

    // The slot that holds id's live entry, or -1. Probing goes past forgotten slots, as lookups do.
    private static int FindSlot(State state, in ObjectId id)
    {
        int mask = state.Slots.Length - 1;
        for (int slot = Home(id, mask); ; slot = (slot + 1) & mask)
        {
            int number = state.Slots[slot];
            if (number == 0) return -1;
            if (number != Tombstone && state.Entries[number - 1].Id == id) return slot;
        }
    }

    private void Insert(in Entry entry)
    {
        var state = _state;
        if (TryFind(state, entry.Id, out _)) return;
        if ((_count + 1) * 2 > state.Slots.Length || _count == state.Entries.Length) state = Grow(state);
        // The entry is complete before its number becomes visible in a slot.
        state.Entries[_count] = entry;
        int mask = state.Slots.Length - 1;
        int slot = Home(entry.Id, mask);
        while (state.Slots[slot] > 0) slot = (slot + 1) & mask;
        // A forgotten blob stored again reuses its tombstone, or the first empty slot after the probe run.
        _count++;
        _live++;
        Volatile.Write(ref state.Slots[slot], _count);
    }

    private State Grow(State state)
    {
        int capacity = Math.Max(16, state.Entries.Length * 2);
        var entries = GC.AllocateUninitializedArray<Entry>(capacity);
        state.Entries.AsSpan(0, _count).CopyTo(entries);
        var slots = new int[Math.Max(state.Slots.Length, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity * 2))];
        int mask = slots.Length - 1;
        // Re-insert only live entries; tombstones and their entries are dropped (their numbers are not reused).
        foreach (int number in state.Slots)
        {
            if (number <= 0) continue;
            int slot = Home(entries[number - 1].Id, mask);
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = number;
        }
        var grown = state with { Entries = entries, Slots = slots };
        _state = grown;
        return grown;
    }
}
