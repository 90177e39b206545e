using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Cairn.Content.Chunking;

/// <summary>A FastCDC content-defined chunker (normalized chunking, level 2) with a per-repository secret gear table.</summary>
/// <remarks>
/// <para>The gear hash is <c>h = (h &lt;&lt; 1) + gear[byte]</c>; a chunk ends after a byte where the hash's top
/// bits, selected by a mask, are all zero. Bit k of h depends on the last k + 1 bytes only, so testing the top bits
/// gives a rolling window of about 64 bytes with no explicit removal step.</para>
/// <para>Hashing starts fresh (h = 0) at <see cref="ChunkerParameters.MinSize"/> of each chunk: the first MinSize
/// bytes are never looked at, which is most of FastCDC's speed. Up to the normal point a mask with log2(average) + 2
/// bits makes cuts rare; after it, a mask with log2(average) - 2 bits makes them likely (normalized chunking, level 2),
/// which narrows the size distribution. The normal point is average - average/4, because the tail after it has a mean
/// of average/4: that makes the mean chunk size come out close to <see cref="ChunkerParameters.AverageSize"/> rather
/// than a quarter above it.</para>
/// <para>The 256-entry gear table is HKDF-Expand(SHA-256, chunker key, 2048 bytes, "cairn/v1/gear-table") read as
/// little-endian ulongs, so boundaries differ per repository and chunk sizes cannot be used to fingerprint files.</para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class Chunker
{
    private readonly ulong[] _gear;
    private readonly ulong _smallChunkMask;
    private readonly ulong _largeChunkMask;
    private readonly int _minSize;
    private readonly int _normalSize;
    private readonly int _maxSize;

    /// <summary>Creates a chunker whose gear table derives from <paramref name="chunkerKey"/> (MasterKey.ChunkerKey).</summary>
    public Chunker(ReadOnlySpan<byte> chunkerKey, ChunkerParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate();
        if (chunkerKey.Length < 16) throw new ArgumentException("the chunker key is shorter than 16 bytes", nameof(chunkerKey));
        Parameters = parameters;

        Span<byte> table = stackalloc byte[256 * sizeof(ulong)];
        // The label is part of the repository format: changing it re-chunks everything and loses all deduplication.
        HKDF.Expand(HashAlgorithmName.SHA256, chunkerKey, table, "cairn/v1/gear-table"u8);
        _gear = new ulong[256];
        for (int i = 0; i < _gear.Length; i++) _gear[i] = BinaryPrimitives.ReadUInt64LittleEndian(table[(i * sizeof(ulong))..]);

        int bits = BitOperations.Log2((uint)parameters.AverageSize);
        _smallChunkMask = TopBits(bits + 2);
        _largeChunkMask = TopBits(bits - 2);
        _minSize = parameters.MinSize;
        _maxSize = parameters.MaxSize;
        _normalSize = Math.Max(parameters.MinSize, parameters.AverageSize - parameters.AverageSize / 4);
    }

    /// <summary>The size bounds this chunker cuts with.</summary>
    public ChunkerParameters Parameters { get; }

    /// <summary>
    /// Returns the length of the chunk at the start of <paramref name="data"/>. Without <paramref name="isFinal"/>, if
    /// data is shorter than MaxSize and holds no cut point yet, returns -1: call again with more data. With isFinal,
    /// returns a length in 1..data.Length (all of it if no cut point is found), or 0 for empty data. The result depends
    /// only on the bytes of the chunk, never on how much data follows it.
    /// </summary>
    public int FindBoundary(ReadOnlySpan<byte> data, bool isFinal)
    {
        int length = data.Length;
        if (length <= _minSize) return isFinal ? length : -1;

        int end = Math.Min(length, _maxSize);
        int cut = Scan(data, Math.Min(end, _normalSize), end);
        if (cut >= 0) return cut;
        if (end == _maxSize) return _maxSize;
        return isFinal ? length : -1;
    }

    // Returns the cut length, or -1 if no cut point lies in [MinSize, end).
    private int Scan(ReadOnlySpan<byte> data, int normal, int end)
    {
        ref byte source = ref MemoryMarshal.GetReference(data);
        ref ulong gear = ref MemoryMarshal.GetArrayDataReference(_gear);
        ulong hash = 0;
        int i = _minSize;
        ulong mask = _smallChunkMask;
        int stop = normal;
        // Two passes over the same loop: the small-chunk mask up to the normal point, then the large-chunk mask.
        for (int pass = 0; pass < 2; pass++)
        {
            // Unrolled by four: the hash chain is inherently serial, but this removes three of four loop-counter checks.
            int unrolledStop = stop - 3;
            while (i < unrolledStop)
            {
                hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i));
                if ((hash & mask) == 0) return i + 1;
                hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i + 1));
                if ((hash & mask) == 0) return i + 2;
                hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i + 2));
                if ((hash & mask) == 0) return i + 3;
                hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i + 3));
                if ((hash & mask) == 0) return i + 4;
                i += 4;
            }
            while (i < stop)
            {
                hash = (hash << 1) + Unsafe.Add(ref gear, Unsafe.Add(ref source, i));
                i++;
                if ((hash & mask) == 0) return i;
            }
            mask = _largeChunkMask;
            stop = end;
        }
        return -1;
    }

    private static ulong TopBits(int count) => ~0UL << (64 - count);
}
