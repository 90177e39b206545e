using Cairn.Snapshots;

namespace Cairn.Maintenance.Retention;

/// <summary>Which snapshot fields split snapshots into groups that a retention policy treats separately.</summary>
[Flags]
public enum SnapshotGrouping
{
    /// <summary>One group holds every snapshot.</summary>
    None = 0,
    /// <summary>Snapshots of different hosts are separate.</summary>
    Host = 1,
    /// <summary>Snapshots of different path sets are separate.</summary>
    Paths = 2,
    /// <summary>Snapshots with different tag sets are separate.</summary>
    Tags = 4,
    /// <summary>Snapshots of different instances (services) are separate.</summary>
    Instance = 8,
}

/// <summary>Parsing and printing of <see cref="SnapshotGrouping"/> as --group-by spells it ("host,paths").</summary>
public static class SnapshotGroupings
{
    /// <summary>The default, as restic's: host and paths.</summary>
    public const SnapshotGrouping Default = SnapshotGrouping.Host | SnapshotGrouping.Paths;

    /// <summary>Parses a comma list of host, paths, tags and instance; the empty string means no grouping.</summary>
    /// <exception cref="FormatException">An unknown field name.</exception>
    public static SnapshotGrouping Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var grouping = SnapshotGrouping.None;
        foreach (var field in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            grouping |= field switch
            {
                "host" => SnapshotGrouping.Host,
                "paths" => SnapshotGrouping.Paths,
                "tags" => SnapshotGrouping.Tags,
                "instance" => SnapshotGrouping.Instance,
                _ => throw new FormatException($"cannot group by '{field}': use a comma list of host, paths, tags and instance, or '' for no grouping"),
            };
        }
        return grouping;
    }

    /// <summary>The --group-by spelling, e.g. "host,paths" ("" for none).</summary>
    public static string Format(SnapshotGrouping grouping)
    {
        var fields = new List<string>();
        if (grouping.HasFlag(SnapshotGrouping.Host)) fields.Add("host");
        if (grouping.HasFlag(SnapshotGrouping.Paths)) fields.Add("paths");
        if (grouping.HasFlag(SnapshotGrouping.Tags)) fields.Add("tags");
        if (grouping.HasFlag(SnapshotGrouping.Instance)) fields.Add("instance");
        return string.Join(",", fields);
    }

    /// <summary>The key of the group <paramref name="snapshot"/> belongs to; fields not grouped by are null.</summary>
    public static SnapshotGroupKey KeyOf(Snapshot snapshot, SnapshotGrouping grouping)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new SnapshotGroupKey(
            grouping.HasFlag(SnapshotGrouping.Host) ? snapshot.Hostname : null,
            grouping.HasFlag(SnapshotGrouping.Paths) ? Sorted(snapshot.Paths) : null,
            grouping.HasFlag(SnapshotGrouping.Tags) ? Sorted(snapshot.Tags) : null,
            grouping.HasFlag(SnapshotGrouping.Instance) ? snapshot.Instance ?? "" : null);
    }

    private static string[] Sorted(IEnumerable<string> values) => [.. values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
}

/// <summary>What the snapshots of one group share: the grouped-by fields (null where not grouped by), paths and tags sorted.</summary>
public sealed record SnapshotGroupKey(string? Hostname, IReadOnlyList<string>? Paths, IReadOnlyList<string>? Tags, string? Instance)
{
    /// <summary>A string equal for equal keys and ordering groups by host, paths, tags, instance.</summary>
    public string SortKey { get; } = string.Join('\u0001',
        Hostname ?? "", Join(Paths), Join(Tags), Instance ?? "");

    /// <inheritdoc/>
    public bool Equals(SnapshotGroupKey? other) => other is not null && SortKey == other.SortKey
        && (Hostname is null) == (other.Hostname is null) && (Paths is null) == (other.Paths is null)
        && (Tags is null) == (other.Tags is null) && (Instance is null) == (other.Instance is null);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(SortKey);

    /// <summary>For people, e.g. "host web1, paths /etc /srv"; "all snapshots" when nothing is grouped by.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Hostname is not null) parts.Add("host " + Hostname);
        if (Paths is not null) parts.Add("paths " + string.Join(" ", Paths));
        if (Tags is not null) parts.Add(Tags.Count == 0 ? "no tags" : "tags " + string.Join(",", Tags));
        if (Instance is not null) parts.Add(Instance.Length == 0 ? "no instance" : "instance " + Instance);
        return parts.Count == 0 ? "all snapshots" : string.Join(", ", parts);
    }

    private static string Join(IReadOnlyList<string>? values) => values is null ? "" : string.Join('\u0002', values);
}
