namespace Cairn.Maintenance.Copy;

/// <summary>How a copy runs; the typed form of the copy command's options.</summary>
public sealed record CopyOptions
{
    /// <summary>
    /// Read, translate, compress and encrypt as usual, but write no pack, index or snapshot: what a dry run needs to
    /// report exactly what a real run would add.
    /// </summary>
    public bool DryRun { get; init; }

    /// <summary>Chunks copied at once (each holds one chunk's plaintext and its sealed form in memory).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Called after each snapshot is copied or skipped, in order, so a front end can report as it goes.</summary>
    public Action<SnapshotCopyOutcome>? OnSnapshot { get; init; }
}
