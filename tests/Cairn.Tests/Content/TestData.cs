namespace Cairn.Tests.Content;

/// <summary>Deterministic pseudo-random bytes whose sequence is fixed by this code, not by a runtime's Random.</summary>
internal static class TestData
{
    /// <summary>Bytes from xorshift64* seeded with <paramref name="seed"/>; golden tests rely on the exact sequence.</summary>
    public static byte[] Random(int length, ulong seed)
    {
        var bytes = new byte[length];
        ulong state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;
        for (int i = 0; i < length; i += 8)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ulong value = state * 0x2545F4914F6CDD1DUL;
            for (int j = 0; j < 8 && i + j < length; j++) bytes[i + j] = (byte)(value >> (8 * j));
        }
        return bytes;
    }

    /// <summary>The bytes 0, 1, 2, ... of the given length, for fixed keys.</summary>
    public static byte[] Sequence(int length, byte start = 0)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(start + i);
        return bytes;
    }
}
