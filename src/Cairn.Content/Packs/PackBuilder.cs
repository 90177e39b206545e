using System.Buffers.Binary;
using System.Security.Cryptography;
using Cairn.Content.Crypto;

namespace Cairn.Content.Packs;

/// <summary>
/// Accumulates sealed blobs into one pack in memory. Not thread-safe: the content store serialises appends.
/// </summary>
public sealed class PackBuilder
{
    private readonly List<BlobEntry> _entries = [];
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a builder that fills <paramref name="buffer"/> (and replaces it with a bigger one if needed).</summary>
    public PackBuilder(byte[] buffer) => _buffer = buffer;

    /// <summary>The buffer holding the pack, to be reused for the next pack once this one is uploaded.</summary>
    public byte[] Buffer => _buffer;

    /// <summary>Bytes of blob data appended so far.</summary>
    public int Length => _length;

    /// <summary>Number of blobs appended so far.</summary>
    public int Count => _entries.Count;

    /// <summary>The blobs appended so far, in pack order.</summary>
    public IReadOnlyList<BlobEntry> Entries => _entries;

    /// <summary>Appends one sealed blob and returns its entry (with its offset in this pack).</summary>
    public BlobEntry Append(ObjectType type, BlobFlags flags, in ObjectId id, ReadOnlySpan<byte> sealedBlob, int rawLength)
    {
        EnsureCapacity(_length + sealedBlob.Length);
        sealedBlob.CopyTo(_buffer.AsSpan(_length));
        var entry = new BlobEntry(type, flags, id, (uint)_length, (uint)sealedBlob.Length, (uint)rawLength);
        _entries.Add(entry);
        _length += sealedBlob.Length;
        return entry;
    }

    /// <summary>Seals the header, appends it and the trailer, and returns the finished pack and its id (SHA-256 of its bytes).</summary>
    public (ObjectId PackId, ReadOnlyMemory<byte> Bytes) Finish(ObjectCipher cipher)
    {
        var header = PackFormat.EncodeHeader(_entries);
        int sealedLength = ObjectCipher.SealedLength(header.Length);
        EnsureCapacity(_length + sealedLength + PackFormat.TrailerLength);
        cipher.Seal(ObjectType.PackHeader, ObjectId.Zero, header, _buffer.AsSpan(_length, sealedLength));
        _length += sealedLength;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)sealedLength);
        _length += PackFormat.TrailerLength;
        var bytes = new ReadOnlyMemory<byte>(_buffer, 0, _length);
        return (new ObjectId(SHA256.HashData(bytes.Span)), bytes);
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length) return;
        var bigger = GC.AllocateUninitializedArray<byte>(Math.Max(needed, _buffer.Length * 3 / 2));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        _buffer = bigger;
    }
}
