using Cairn.Content;

namespace Cairn.Archiving.Backup;

/// <summary>What to back up and how; the typed form of the backup command's options.</summary>
public sealed record BackupOptions
{
    /// <summary>Files and directories to back up (absolute or relative to the current directory).</summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>Host name recorded in the snapshot.</summary>
    public string Hostname { get; init; } = Environment.MachineName;

    /// <summary>Tags recorded in the snapshot.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Time recorded in the snapshot instead of now (for imports).</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Glob patterns of paths to leave out.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>Do not descend into directories on other filesystems than the one each path starts on.</summary>
    public bool OneFileSystem { get; init; }

    /// <summary>Read and chunk everything, but write nothing to the repository.</summary>
    public bool DryRun { get; init; }

    /// <summary>Compare against this snapshot instead of the latest one with the same host and paths.</summary>
    public ObjectId? Parent { get; init; }

    /// <summary>Read every file even if the parent snapshot says it is unchanged.</summary>
    public bool Force { get; init; }

    /// <summary>Parallel file readers; default: one per core (the work is CPU-bound: compression and hashing).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
}
