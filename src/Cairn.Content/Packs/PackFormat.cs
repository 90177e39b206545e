using System.Buffers.Binary;
using Cairn.Content.Crypto;

namespace Cairn.Content.Packs;

/// <summary>
/// Encodes and decodes pack headers. A pack is: sealed blobs back to back, then the sealed header, then the
/// header's sealed length as a little-endian u32. The header lists every blob, so the index can be rebuilt from packs alone.
/// </summary>
public static class PackFormat
{
    /// <summary>Version byte at the start of the header plaintext.</summary>
    public const byte Version = 1;

    /// <summary>Bytes per header entry: type, flags, stored length, raw length, id.</summary>
    public const int EntryLength = 1 + 1 + 4 + 4 + ObjectId.Length;

    /// <summary>Bytes before the entries: version and count.</summary>
    public const int HeaderPrefixLength = 1 + 4;

    /// <summary>Length of the trailing header-length field.</summary>
    public const int TrailerLength = 4;

    /// <summary>Serialises the header plaintext for the given blobs, in pack order.</summary>
    public static byte[] EncodeHeader(IReadOnlyList<BlobEntry> entries)
    {
        var header = new byte[HeaderPrefixLength + entries.Count * EntryLength];
        header[0] = Version;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(1), (uint)entries.Count);
        var span = header.AsSpan(HeaderPrefixLength);
        foreach (var e in entries)
        {
            span[0] = (byte)e.Type;
            span[1] = (byte)e.Flags;
            BinaryPrimitives.WriteUInt32LittleEndian(span[2..], e.StoredLength);
            BinaryPrimitives.WriteUInt32LittleEndian(span[6..], e.RawLength);
            e.Id.WriteTo(span[10..]);
            span = span[EntryLength..];
        }
        return header;
    }

    /// <summary>Parses header plaintext, computing each blob's offset from the lengths before it.</summary>
    public static List<BlobEntry> DecodeHeader(ReadOnlySpan<byte> header, long packLength, string packDescription)
    {
        if (header.Length < HeaderPrefixLength || header[0] != Version)
            throw new IntegrityException(packDescription, header.Length == 0 ? "empty header" : $"unknown pack header version {header[0]}");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(header[1..]);
        if ((long)count * EntryLength != header.Length - HeaderPrefixLength)
            throw new IntegrityException(packDescription, "header length does not match its entry count");
        var entries = new List<BlobEntry>((int)count);
        long offset = 0;
        var span = header[HeaderPrefixLength..];
        for (int i = 0; i < count; i++)
        {
            var type = (ObjectType)span[0];
            var flags = (BlobFlags)span[1];
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(span[2..]);
            uint raw = BinaryPrimitives.ReadUInt32LittleEndian(span[6..]);
            var id = new ObjectId(span.Slice(10, ObjectId.Length));
            if (stored < ObjectCipher.Overhead || offset + stored > packLength)
                throw new IntegrityException(packDescription, $"header entry {i} points outside the pack");
            entries.Add(new BlobEntry(type, flags, id, (uint)offset, stored, raw));
            offset += stored;
            span = span[EntryLength..];
        }
        return entries;
    }

    /// <summary>Bytes of the sealed header of a pack with <paramref name="blobCount"/> blobs.</summary>
    public static int SealedHeaderLength(int blobCount) => ObjectCipher.SealedLength(HeaderPrefixLength + blobCount * EntryLength);

    /// <summary>
    /// The length a pack must have when <paramref name="blobs"/> are all of its blobs, back to back from offset 0:
    /// the end of the last blob, the sealed header and the trailer.
    /// </summary>
    public static long ExpectedLength(IReadOnlyCollection<BlobEntry> blobs)
    {
        long end = 0;
        foreach (var b in blobs) end = Math.Max(end, (long)b.Offset + b.StoredLength);
        return end + SealedHeaderLength(blobs.Count) + TrailerLength;
    }

    /// <summary>
    /// Reads the trailer (the last <see cref="TrailerLength"/> bytes of a pack of <paramref name="packLength"/> bytes)
    /// and returns where the sealed header starts and how long it is.
    /// </summary>
    public static (long Start, int Length) LocateHeader(ReadOnlySpan<byte> trailer, long packLength, string packDescription)
    {
        if (packLength < TrailerLength + ObjectCipher.Overhead)
            throw new IntegrityException(packDescription, $"too short to be a pack ({packLength} bytes)");
        uint sealedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[^TrailerLength..]);
        long headerStart = packLength - TrailerLength - sealedLength;
        if (sealedLength < ObjectCipher.Overhead || sealedLength > int.MaxValue || headerStart < 0)
            throw new IntegrityException(packDescription, "header length field is out of range");
        return (headerStart, (int)sealedLength);
    }

    /// <summary>Opens a sealed header that starts at <paramref name="headerStart"/> (= the bytes of blob data before it).</summary>
    public static List<BlobEntry> OpenHeader(ReadOnlySpan<byte> sealedHeader, long headerStart, ObjectCipher cipher, string packDescription)
    {
        var plain = new byte[sealedHeader.Length - ObjectCipher.Overhead];
        if (!cipher.TryOpen(ObjectType.PackHeader, ObjectId.Zero, sealedHeader, plain))
            throw new IntegrityException(packDescription, "header failed authentication");
        return DecodeHeader(plain, headerStart, packDescription);
    }

    /// <summary>Reads and opens the header of a whole pack held in memory.</summary>
    public static List<BlobEntry> ReadHeader(ReadOnlySpan<byte> pack, ObjectCipher cipher, string packDescription)
    {
        var (headerStart, sealedLength) = LocateHeader(pack, pack.Length, packDescription);
        return OpenHeader(pack.Slice((int)headerStart, sealedLength), headerStart, cipher, packDescription);
    }
}
