using System.Buffers.Binary;
using Cairn.Content.Compression;
using Cairn.Content.Crypto;

namespace Cairn.Content;

/// <summary>
/// The envelope of objects stored as whole files (index and snapshot files): the plaintext is an encoding byte
/// (0 = raw, 1 = zstd followed by the u32 raw length) and the payload, sealed with the payload's keyed hash as id.
/// The id is also the file's name, so a reader checks both the tag and the hash.
/// </summary>
public static class SealedFile
{
    private const byte Raw = 0;
    private const byte Zstd = 1;

    /// <summary>Encodes a payload; returns its id and the bytes to store.</summary>
    public static (ObjectId Id, byte[] Bytes) Encode(ObjectCipher cipher, ObjectIdHasher hasher, ObjectType type, ReadOnlySpan<byte> payload, bool compress)
    {
        var id = hasher.Compute(payload);
        byte[] plain = [];
        int compressedLength = -1;
        if (compress)
        {
            using var compressor = new BlobCompressor();
            plain = new byte[5 + BlobCompressor.MaxCompressedLength(payload.Length)];
            compressedLength = compressor.Compress(payload, plain.AsSpan(5));
        }
        if (compressedLength >= 0)
        {
            plain[0] = Zstd;
            BinaryPrimitives.WriteUInt32LittleEndian(plain.AsSpan(1), (uint)payload.Length);
            plain = plain[..(5 + compressedLength)];
        }
        else
        {
            plain = new byte[1 + payload.Length];
            plain[0] = Raw;
            payload.CopyTo(plain.AsSpan(1));
        }
        return (id, cipher.Seal(type, id, plain));
    }

    /// <summary>Opens stored bytes, checking the tag, the encoding and that the payload hashes to <paramref name="id"/>.</summary>
    public static byte[] Decode(ObjectCipher cipher, ObjectIdHasher hasher, ObjectType type, in ObjectId id, ReadOnlySpan<byte> stored, string description)
    {
        var plain = cipher.Open(type, id, stored, description);
        if (plain.Length == 0) throw new IntegrityException(description, "empty plaintext");
        byte[] payload;
        switch (plain[0])
        {
            case Raw:
                payload = plain[1..];
                break;
            case Zstd when plain.Length >= 5:
                payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(plain.AsSpan(1))];
                using (var decompressor = new BlobDecompressor())
                    decompressor.Decompress(plain.AsSpan(5), payload, description);
                break;
            default:
                throw new IntegrityException(description, $"unknown encoding {plain[0]}");
        }
        if (hasher.Compute(payload) != id) throw new IntegrityException(description, "content does not match its id");
        return payload;
    }
}
