namespace Cairn.Content;

/// <summary>
/// Scratch arrays owned by one worker (a codec, a restore worker) for the whole command. They are allocated straight
/// at the size the work typically needs (a maximum chunk, a maximum read) instead of growing towards it: every
/// outgrown array is large-object-heap garbage that only a full collection frees, and growing in small steps left
/// about 30 MB of it behind early in every backup and restore, which was most of the gap to restic's peak memory.
/// </summary>
public static class ScratchArrays
{
    private const int Step = 64 * 1024;

    /// <summary>
    /// <paramref name="buffer"/> if it holds <paramref name="length"/> bytes; otherwise a new array of at least
    /// <paramref name="length"/> and <paramref name="typical"/> bytes, stored in <paramref name="buffer"/>.
    /// </summary>
    public static byte[] Ensure(ref byte[] buffer, int length, int typical)
    {
        if (buffer.Length >= length) return buffer;
        long size = (Math.Max((long)length, typical) + Step - 1) / Step * Step;
        buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(size, Array.MaxLength));
        return buffer;
    }
}
