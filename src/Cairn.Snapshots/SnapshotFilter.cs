namespace Cairn.Snapshots;

/// <summary>Selects snapshots by host, tags and paths, as the --host, --tag and --path options do.</summary>
public sealed record SnapshotFilter
{
    /// <summary>Matches every snapshot.</summary>
    public static SnapshotFilter All { get; } = new();

    /// <summary>Any of these host names (empty: any host).</summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>Tag groups: a snapshot matches if it has every tag of at least one group ("a,b" is one group).</summary>
    public IReadOnlyList<IReadOnlyList<string>> TagGroups { get; init; } = [];

    /// <summary>The snapshot's paths must include all of these (empty: any).</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>True if the snapshot passes every criterion.</summary>
    public bool Matches(Snapshot s) =>
        (Hosts.Count == 0 || Hosts.Contains(s.Hostname, StringComparer.Ordinal)) &&
        (TagGroups.Count == 0 || TagGroups.Any(group => group.All(t => s.Tags.Contains(t, StringComparer.Ordinal)))) &&
        Paths.All(p => s.Paths.Contains(p, StringComparer.Ordinal));
}
