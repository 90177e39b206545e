using System.Buffers.Binary;
using System.Text;

namespace Cairn.Components.Redis;

/// <summary>
/// The logical export format of one Redis database ("cairn redis keys, version 1"), one file per database:
/// <code>
/// "CAIRN-REDIS-KEYS 1\n"                      19 bytes of ASCII
/// then per key:
///   'K'                                       1 byte
///   key length      u32 big-endian, then the key's bytes
///   expiry          i64 big-endian: absolute Unix time in milliseconds, or -1 for a key without a TTL
///   payload length  u32 big-endian, then the value as Redis' DUMP returned it (RDB-encoded, with its own CRC)
/// then the end:
///   'E'                                       1 byte
///   key count       u64 big-endian, the number of 'K' records (a file without it, or with another count, is truncated)
/// </code>
/// Expiries are absolute so a restore a day later does not bring back keys that should have expired (RESTORE … ABSTTL).
/// </summary>
internal static class RedisKeyFile
{
    public static ReadOnlySpan<byte> Magic => "CAIRN-REDIS-KEYS 1\n"u8;

    /// <summary>One key: its name, its absolute expiry (ms since the Unix epoch, -1 for none), its DUMP payload.</summary>
    public sealed record Entry(byte[] Key, long ExpiresAtMs, byte[] Payload);

    /// <summary>Appends one key's record.</summary>
    public static void Write(Stream to, Entry entry)
    {
        Span<byte> number = stackalloc byte[8];
        to.WriteByte((byte)'K');
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)entry.Key.Length);
        to.Write(number[..4]);
        to.Write(entry.Key);
        BinaryPrimitives.WriteInt64BigEndian(number, entry.ExpiresAtMs);
        to.Write(number);
        BinaryPrimitives.WriteUInt32BigEndian(number, (uint)entry.Payload.Length);
        to.Write(number[..4]);
        to.Write(entry.Payload);
    }

    /// <summary>Appends the end record.</summary>
    public static void WriteEnd(Stream to, long count)
    {
        Span<byte> number = stackalloc byte[8];
        to.WriteByte((byte)'E');
        BinaryPrimitives.WriteUInt64BigEndian(number, (ulong)count);
        to.Write(number);
    }

    /// <summary>Reads the records of a file, checking its magic and its end; damage is an <see cref="IntegrityException"/>.</summary>
    public static async IAsyncEnumerable<Entry> ReadAsync(Stream from, string description, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var magic = new byte[Magic.Length];
        if (!await TryFillAsync(from, magic, cancellationToken).ConfigureAwait(false) || !magic.AsSpan().SequenceEqual(Magic))
            throw new IntegrityException(description, "not a cairn redis key export (version 1)");
        var header = new byte[8];
        long count = 0;
        while (true)
        {
            if (!await TryFillAsync(from, header.AsMemory(0, 1), cancellationToken).ConfigureAwait(false))
                throw new IntegrityException(description, $"ends after {count} keys without its end record (truncated)");
            if (header[0] == (byte)'E')
            {
                if (!await TryFillAsync(from, header, cancellationToken).ConfigureAwait(false) || BinaryPrimitives.ReadUInt64BigEndian(header) != (ulong)count)
                    throw new IntegrityException(description, $"its end record does not count the {count} keys read");
                yield break;
            }
            if (header[0] != (byte)'K') throw new IntegrityException(description, $"unknown record type 0x{header[0]:x2} after {count} keys");
            var key = await ReadBlockAsync(from, description, cancellationToken).ConfigureAwait(false);
            if (!await TryFillAsync(from, header, cancellationToken).ConfigureAwait(false)) throw new IntegrityException(description, "truncated in a key's record");
            var expiry = BinaryPrimitives.ReadInt64BigEndian(header);
            var payload = await ReadBlockAsync(from, description, cancellationToken).ConfigureAwait(false);
            count++;
            yield return new Entry(key, expiry, payload);
        }
    }

    /// <summary>A key for messages: as text when it is printable UTF-8, else in hex.</summary>
    public static string Show(byte[] key)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(key);
            if (!text.Any(char.IsControl)) return text;
        }
        catch (DecoderFallbackException) { }
        return "0x" + Convert.ToHexString(key);
    }

    private static async Task<byte[]> ReadBlockAsync(Stream from, string description, CancellationToken ct)
    {
        var length = new byte[4];
        if (!await TryFillAsync(from, length, ct).ConfigureAwait(false)) throw new IntegrityException(description, "truncated in a key's record");
        var block = new byte[BinaryPrimitives.ReadUInt32BigEndian(length)];
        if (!await TryFillAsync(from, block, ct).ConfigureAwait(false)) throw new IntegrityException(description, "truncated in a key's record");
        return block;
    }

    private static async Task<bool> TryFillAsync(Stream from, Memory<byte> buffer, CancellationToken ct)
    {
        var read = await from.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        return read == buffer.Length;
    }
}
