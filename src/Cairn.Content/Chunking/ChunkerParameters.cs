using System.Numerics;

namespace Cairn.Content.Chunking;

/// <summary>Chunk size bounds for the content-defined chunker; the average must be a power of two.</summary>
public sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize)
{
    /// <summary>512 KiB minimum, 1 MiB average, 8 MiB maximum: big enough to keep the index small, small enough to dedup dumps.</summary>
    public static ChunkerParameters Default => new(512 * 1024, 1024 * 1024, 8 * 1024 * 1024);

    /// <summary>Throws <see cref="ArgumentException"/> unless 64 &lt;= min &lt; average &lt; max and average is a power of two.</summary>
    public void Validate()
    {
        if (MinSize < 64) throw new ArgumentException($"minimum chunk size {MinSize} is below 64 bytes");
        if (!BitOperations.IsPow2(AverageSize)) throw new ArgumentException($"average chunk size {AverageSize} is not a power of two");
        if (!(MinSize < AverageSize && AverageSize < MaxSize))
            throw new ArgumentException($"chunk sizes must satisfy min < average < max, not {MinSize} / {AverageSize} / {MaxSize}");
        // The masks take log2(average) ± 2 of the hash's 64 bits; far below that is pointless, far above impossible.
        if (AverageSize < 256 || AverageSize > (1 << 30)) throw new ArgumentException($"average chunk size {AverageSize} is out of range");
    }
}
