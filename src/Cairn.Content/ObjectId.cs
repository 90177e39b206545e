using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Cairn.Content;

/// <summary>A 32-byte object id: a keyed hash for chunks, trees, snapshots and index files, a SHA-256 for packs.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct ObjectId : IEquatable<ObjectId>, IComparable<ObjectId>
{
    /// <summary>Length of an id in bytes.</summary>
    public const int Length = 32;

    private readonly ulong _a, _b, _c, _d;

    /// <summary>Reads an id from exactly 32 bytes.</summary>
    public ObjectId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new ArgumentException("an object id is 32 bytes", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The all-zero id, used where no id exists yet.</summary>
    public static ObjectId Zero => default;

    /// <summary>True for the all-zero id.</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>Writes the 32 bytes of this id.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes of this id as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>64 lowercase hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The first 8 hex digits, as shown to users.</summary>
    public string ToShortString() => ToString()[..8];

    /// <summary>Parses 64 hex digits.</summary>
    public static ObjectId Parse(string hex)
    {
        if (!TryParse(hex, out var id)) throw new FormatException($"'{hex}' is not a 64-digit hex object id");
        return id;
    }

    /// <summary>Parses 64 hex digits, returning false on malformed input.</summary>
    public static bool TryParse(string? hex, out ObjectId id)
    {
        id = default;
        if (hex is null || hex.Length != Length * 2) return false;
        Span<byte> bytes = stackalloc byte[Length];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Length) return false;
        id = new ObjectId(bytes);
        return true;
    }

    /// <inheritdoc/>
    public bool Equals(ObjectId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ObjectId other && Equals(other);

    // The id is already a uniformly distributed hash, so any 32 bits of it make a good hash code.
    /// <inheritdoc/>
    public override int GetHashCode() => (int)_a;

    /// <inheritdoc/>
    public int CompareTo(ObjectId other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(ObjectId left, ObjectId right) => left.Equals(right);
    /// <summary>Inequality.</summary>
    public static bool operator !=(ObjectId left, ObjectId right) => !left.Equals(right);
    /// <summary>Ordering.</summary>
    public static bool operator <(ObjectId left, ObjectId right) => left.CompareTo(right) < 0;
    /// <summary>Ordering.</summary>
    public static bool operator >(ObjectId left, ObjectId right) => left.CompareTo(right) > 0;
    /// <summary>Ordering.</summary>
    public static bool operator <=(ObjectId left, ObjectId right) => left.CompareTo(right) <= 0;
    /// <summary>Ordering.</summary>
    public static bool operator >=(ObjectId left, ObjectId right) => left.CompareTo(right) >= 0;
}
