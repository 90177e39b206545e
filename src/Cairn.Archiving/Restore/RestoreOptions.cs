namespace Cairn.Archiving.Restore;

/// <summary>Where and what to restore; the typed form of the restore command's options.</summary>
public sealed record RestoreOptions
{
    /// <summary>Directory to restore into; the snapshot's absolute paths are recreated below it.</summary>
    public required string Target { get; init; }

    /// <summary>Restore only entries matching these patterns (and what is below them). Empty: everything.</summary>
    public IReadOnlyList<string> Includes { get; init; } = [];

    /// <summary>Leave out entries matching these patterns (and what is below them).</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>After restoring, read every file back and check it against the snapshot's chunk ids.</summary>
    public bool Verify { get; init; }

    /// <summary>Parallel pack readers.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
}

/// <summary>A file that could not be restored exactly, and why.</summary>
public sealed record RestoreError(string Path, string Message);

/// <summary>What a restore did.</summary>
public sealed record RestoreResult(long Files, long Directories, long OtherEntries, long Bytes, IReadOnlyList<RestoreError> Errors, long FilesVerified);
