using System.Buffers.Binary;
using Cairn.Content.Packs;

namespace Cairn.Content.Index;

/// <summary>
/// The plaintext of one index file: for each pack, the blobs it holds. Index files are an acceleration only:
/// everything in them can be rebuilt from pack headers.
/// </summary>
public sealed class IndexFile
{
    /// <summary>Version byte at the start of the payload.</summary>
    public const byte Version = 1;

    private const int EntryLength = 1 + 1 + 4 + 4 + 4 + ObjectId.Length;

    /// <summary>The packs this index file describes, each with its blobs.</summary>
    public List<(ObjectId PackId, IReadOnlyList<BlobEntry> Blobs)> Packs { get; } = [];

    /// <summary>Index files whose content this one includes, so they may be deleted (used by prune).</summary>
    public List<ObjectId> Supersedes { get; } = [];

    /// <summary>Serialises the payload.</summary>
    public byte[] Encode()
    {
        long size = 1 + 4 + Supersedes.Count * ObjectId.Length + 4;
        foreach (var (_, blobs) in Packs) size += ObjectId.Length + 4 + (long)blobs.Count * EntryLength;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)Supersedes.Count);
        span = span[5..];
        foreach (var id in Supersedes) { id.WriteTo(span); span = span[ObjectId.Length..]; }
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)Packs.Count);
        span = span[4..];
        foreach (var (packId, blobs) in Packs)
        {
            packId.WriteTo(span);
            BinaryPrimitives.WriteUInt32LittleEndian(span[32..], (uint)blobs.Count);
            span = span[36..];
            foreach (var b in blobs)
            {
                span[0] = (byte)b.Type;
                span[1] = (byte)b.Flags;
                BinaryPrimitives.WriteUInt32LittleEndian(span[2..], b.Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(span[6..], b.StoredLength);
                BinaryPrimitives.WriteUInt32LittleEndian(span[10..], b.RawLength);
                b.Id.WriteTo(span[14..]);
                span = span[EntryLength..];
            }
        }
        return bytes;
    }

    /// <summary>Parses a payload; malformed input raises <see cref="IntegrityException"/>.</summary>
    public static IndexFile Decode(ReadOnlySpan<byte> payload, string description)
    {
        var result = new IndexFile();
        try
        {
            if (payload[0] != Version) throw new IntegrityException(description, $"unknown index version {payload[0]}");
            int pos = 1;
            uint superseded = ReadU32(payload, ref pos);
            for (uint i = 0; i < superseded; i++) result.Supersedes.Add(ReadId(payload, ref pos));
            uint packs = ReadU32(payload, ref pos);
            for (uint p = 0; p < packs; p++)
            {
                var packId = ReadId(payload, ref pos);
                uint count = ReadU32(payload, ref pos);
                if ((long)count * EntryLength > payload.Length - pos) throw new IntegrityException(description, "truncated");
                var blobs = new BlobEntry[count];
                for (int i = 0; i < count; i++)
                {
                    var s = payload.Slice(pos, EntryLength);
                    blobs[i] = new BlobEntry((ObjectType)s[0], (BlobFlags)s[1], new ObjectId(s.Slice(14, ObjectId.Length)),
                        BinaryPrimitives.ReadUInt32LittleEndian(s[2..]), BinaryPrimitives.ReadUInt32LittleEndian(s[6..]),
                        BinaryPrimitives.ReadUInt32LittleEndian(s[10..]));
                    pos += EntryLength;
                }
                result.Packs.Add((packId, blobs));
            }
            if (pos != payload.Length) throw new IntegrityException(description, "trailing bytes after the last pack");
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new IntegrityException(description, "truncated", e);
        }
        catch (IndexOutOfRangeException e)
        {
            throw new IntegrityException(description, "truncated", e);
        }
        return result;
    }

    private static uint ReadU32(ReadOnlySpan<byte> s, ref int pos)
    {
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(s[pos..]);
        pos += 4;
        return v;
    }

    private static ObjectId ReadId(ReadOnlySpan<byte> s, ref int pos)
    {
        var id = new ObjectId(s.Slice(pos, ObjectId.Length));
        pos += ObjectId.Length;
        return id;
    }
}
