using System.Globalization;
using Cairn.Content;

namespace Cairn.Maintenance.Prune;

/// <summary>
/// How much unused space prune may leave in the repository, as restic's <c>--max-unused</c>: a share of the
/// repository's size after prune, a number of bytes, or no limit. Partly used packs are repacked, worst first,
/// until the unused space left is under the limit.
/// </summary>
public readonly record struct UnusedLimit
{
    private UnusedLimit(double? percent, long? bytes)
    {
        PercentOfRepository = percent;
        Bytes = bytes;
    }

    /// <summary>The limit as a percentage of the repository's size after prune (used + unused), if given so.</summary>
    public double? PercentOfRepository { get; }

    /// <summary>The limit in bytes, if given so.</summary>
    public long? Bytes { get; }

    /// <summary>True when any amount of unused space is tolerated: only fully unused packs are deleted.</summary>
    public bool IsUnlimited => PercentOfRepository is null && Bytes is null;

    /// <summary>The default, as restic's: at most 5 % of the repository may be unused.</summary>
    public static UnusedLimit Default { get; } = Percent(5);

    /// <summary>No limit.</summary>
    public static UnusedLimit Unlimited { get; } = new(null, null);

    /// <summary>At most <paramref name="percent"/> % (0 to 100) of the repository after prune may be unused.</summary>
    public static UnusedLimit Percent(double percent)
    {
        if (!(percent >= 0 && percent <= 100)) throw new ArgumentOutOfRangeException(nameof(percent), "a percentage is from 0 to 100");
        return percent == 100 ? Unlimited : new UnusedLimit(percent, null);
    }

    /// <summary>At most <paramref name="bytes"/> bytes may be unused.</summary>
    public static UnusedLimit Absolute(long bytes) =>
        bytes >= 0 ? new UnusedLimit(null, bytes) : throw new ArgumentOutOfRangeException(nameof(bytes), "a size cannot be negative");

    /// <summary>
    /// The unused bytes tolerated when <paramref name="usedBytes"/> stay in use. For p %, unused / (used + unused) ≤ p / 100,
    /// that is unused ≤ used · p / (100 − p), the same arithmetic as restic's.
    /// </summary>
    public long MaxUnusedBytes(long usedBytes)
    {
        if (Bytes is { } bytes) return bytes;
        if (PercentOfRepository is not { } p) return long.MaxValue;
        double limit = usedBytes * p / (100 - p);
        return limit >= long.MaxValue ? long.MaxValue : (long)limit;
    }

    /// <summary>
    /// Parses --max-unused / max_unused as people write it: a percentage from 0% to 100% ("5%"), a size ("1G", see
    /// <see cref="ByteSize"/>) or "unlimited". False for anything else.
    /// </summary>
    public static bool TryParse(string text, out UnusedLimit limit)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        limit = Unlimited;
        if (s.Equals("unlimited", StringComparison.OrdinalIgnoreCase)) return true;
        if (s.EndsWith('%'))
        {
            if (!double.TryParse(s[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) || p > 100) return false;
            limit = Percent(p);
            return true;
        }
        if (ByteSize.TryParse(s) is not { } bytes) return false;
        limit = Absolute(bytes);
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Bytes is { } b ? b.ToString(CultureInfo.InvariantCulture) + " bytes"
        : PercentOfRepository is { } p ? p.ToString(CultureInfo.InvariantCulture) + "%"
        : "unlimited";
}

/// <summary>The settings of one prune.</summary>
public sealed record PruneOptions
{
    /// <summary>
    /// Temporary files of interrupted writes older than this are deleted. A day: far beyond any clock skew or pause of a
    /// writer, yet a killed nightly backup's half-filled pack is gone by the next prune.
    /// </summary>
    public TimeSpan AbandonedWriteAge { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How much unused space may remain in partly used packs (restic's <c>--max-unused</c>).</summary>
    public UnusedLimit MaxUnused { get; init; } = UnusedLimit.Default;

    /// <summary>The most bytes of packs to repack in this run (whole pack sizes, as restic counts); null for no limit.</summary>
    public long? MaxRepackBytes { get; init; }

    /// <summary>
    /// Snapshots to plan as if they were already removed: forget --dry-run --prune shows the prune that would follow
    /// the removal it only shows.
    /// </summary>
    public IReadOnlySet<ObjectId> ExcludedSnapshots { get; init; } = new HashSet<ObjectId>();

    /// <summary>
    /// Partly used packs in an archive class may be repacked (prune --thaw: the caller thaws them before executing the
    /// plan). Off by default: repacking reads the pack, so archived packs are kept as they are and only deleted when no
    /// blob in them is used, which needs no read.
    /// </summary>
    public bool RepackArchived { get; init; }

    /// <summary>How many packs are read, and how many blobs deleted, at once.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Most blobs listed in one new index file, so no index file grows without bound (about 46 bytes each).</summary>
    public int BlobsPerIndexFile { get; init; } = 100_000;

    /// <summary>
    /// Called before each phase that deletes something (old index files, then packs), after the repository's own lease
    /// check (<see cref="Cairn.Snapshots.Repository.Lease"/>). Throwing stops prune there; tests use it to stop prune
    /// between phases.
    /// </summary>
    public Func<PrunePhase, CancellationToken, ValueTask>? BeforeDelete { get; init; }
}

/// <summary>The phases of a prune that delete, in the order they run.</summary>
public enum PrunePhase
{
    /// <summary>Deleting the index files that the new ones supersede.</summary>
    DeleteIndexFiles,
    /// <summary>Deleting unused, repacked and unindexed packs.</summary>
    DeletePacks,
}
