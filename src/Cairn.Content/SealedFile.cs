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
    /// <remarks>
    /// The envelope is built where it will be sealed, in one array: an index file of a large first backup is several
    /// MiB, and the compressed copy, its trimmed copy and the sealed copy it used to take were the last spike of a
    /// backup's memory.
    /// </remarks>
    public static (ObjectId Id, ReadOnlyMemory<byte> Bytes) Encode(ObjectCipher cipher, ObjectIdHasher hasher, ObjectType type, ReadOnlySpan<byte> payload, bool compress)
    {
        var id = hasher.Compute(payload);
        const int Header = ObjectCipher.NonceLength;
        int room = Math.Max(5 + (compress ? BlobCompressor.MaxCompressedLength(payload.Length) : 0), 1 + payload.Length);
        var buffer = GC.AllocateUninitializedArray<byte>(ObjectCipher.SealedLength(room));
        var plain = buffer.AsSpan(Header, room);
        int plainLength = -1;
        if (compress)
        {
            using var compressor = new BlobCompressor();
            int compressedLength = compressor.Compress(payload, plain[5..]);
            if (compressedLength >= 0)
            {
                plain[0] = Zstd;
                BinaryPrimitives.WriteUInt32LittleEndian(plain[1..], (uint)payload.Length);
                plainLength = 5 + compressedLength;
            }
        }
        if (plainLength < 0)
        {
            plain[0] = Raw;
            payload.CopyTo(plain[1..]);
            plainLength = 1 + payload.Length;
        }
        cipher.SealInPlace(type, id, buffer, plainLength);
        return (id, buffer.AsMemory(0, ObjectCipher.SealedLength(plainLength)));
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
