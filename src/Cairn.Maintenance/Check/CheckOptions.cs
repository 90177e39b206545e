using System.Buffers.Binary;
using System.Globalization;
using Cairn.Content;

namespace Cairn.Maintenance.Check;

/// <summary>What <see cref="Checker"/> verifies beyond the structure.</summary>
public sealed record CheckOptions
{
    /// <summary>Packs whose every blob is read, decrypted, decompressed and re-hashed; null checks structure only.</summary>
    public PackSubset? ReadData { get; init; }

    /// <summary>Packs verified at once when reading data (each holds one read range, at most 8 MiB, in memory).</summary>
    public int ReadWorkers { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>
    /// With <see cref="ReadData"/>: called with the listing entries of the packs about to be read, after the listing and
    /// the index are read and before anything else is checked or read. The CLI finds which are archived there, and
    /// stops (exit code 20) or thaws them; throwing stops the check.
    /// </summary>
    public Func<IReadOnlyList<Cairn.Storage.BlobInfo>, CancellationToken, Task>? BeforeReadingData { get; init; }
}

/// <summary>Which packs <c>check --read-data</c> reads: all, a random share, or one of m fixed groups.</summary>
public abstract record PackSubset
{
    /// <summary>Every pack.</summary>
    public static PackSubset All { get; } = new AllPacks();

    /// <summary>Chooses the packs to read from those the index names.</summary>
    public abstract IReadOnlyList<ObjectId> Select(IReadOnlyCollection<ObjectId> packs);

    /// <summary>
    /// Parses <c>N%</c> (a random N percent of the packs, N may have decimals) or <c>n/m</c> (group n of m, 1 ≤ n ≤ m);
    /// anything else is a usage error.
    /// </summary>
    public static PackSubset Parse(string text, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.EndsWith('%')
            && double.TryParse(t[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent)
            && percent > 0 && percent <= 100)
            return new RandomShare(percent, random ?? Random.Shared);
        var parts = t.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            && m >= 1 && n >= 1 && n <= m)
            return new Group(n, m);
        throw new CairnException($"'{text}' is not a subset: use N% (e.g. 10%, 0.5%) or n/m with 1 <= n <= m (e.g. 3/30)", ExitCode.Usage);
    }

    /// <summary>Every pack.</summary>
    public sealed record AllPacks : PackSubset
    {
        /// <inheritdoc/>
        public override IReadOnlyList<ObjectId> Select(IReadOnlyCollection<ObjectId> packs) => [.. packs.Order()];

        /// <inheritdoc/>
        public override string ToString() => "all packs";
    }

    /// <summary>
    /// A random share: ceil(count × percent / 100) packs, drawn without replacement, so any percentage above zero reads at
    /// least one pack. Repeated runs pick different packs (like restic), so over time they cover everything with high
    /// probability but without a guarantee; use <see cref="Group"/> for that.
    /// </summary>
    public sealed record RandomShare(double Percent, Random Random) : PackSubset
    {
        /// <inheritdoc/>
        public override IReadOnlyList<ObjectId> Select(IReadOnlyCollection<ObjectId> packs)
        {
            var all = packs.Order().ToArray();
            int count = (int)Math.Min(all.Length, Math.Ceiling(all.Length * Percent / 100));
            Random.Shuffle(all);
            return [.. all.Take(count).Order()];
        }

        /// <inheritdoc/>
        public override string ToString() => Percent.ToString(CultureInfo.InvariantCulture) + "% of the packs, at random";
    }

    /// <summary>
    /// Group <see cref="N"/> of <see cref="M"/>: the packs whose id, read as a number from its first 4 bytes (the first 8 hex
    /// digits, big-endian), leaves remainder N − 1 when divided by M. Every pack is in exactly one group, and a pack keeps its
    /// group for life, so running 1/M, 2/M, …, M/M (e.g. the day of the month with M = 31) reads every pack once per cycle.
    /// </summary>
    public sealed record Group(int N, int M) : PackSubset
    {
        /// <summary>The group (1 to <paramref name="m"/>) a pack belongs to.</summary>
        public static int Of(in ObjectId packId, int m)
        {
            Span<byte> bytes = stackalloc byte[ObjectId.Length];
            packId.WriteTo(bytes);
            return (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) % (uint)m) + 1;
        }

        /// <inheritdoc/>
        public override IReadOnlyList<ObjectId> Select(IReadOnlyCollection<ObjectId> packs) => [.. packs.Where(p => Of(p, M) == N).Order()];

        /// <inheritdoc/>
        public override string ToString() => $"group {N} of {M}";
    }
}
