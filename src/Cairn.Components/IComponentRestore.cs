using Cairn.Snapshots;

namespace Cairn.Components;

/// <summary>What a component reads during a restore: its directory in a snapshot, and what backup recorded.</summary>
public interface IComponentRestore
{
    /// <summary>The component's name in the job.</summary>
    string ComponentName { get; }

    /// <summary>The manifest entry backup wrote (tool, versions, format, items, details).</summary>
    SnapshotComponent Recorded { get; }

    /// <summary>Every regular file in the component's directory, recursively, by relative path, in ordinal order.</summary>
    IReadOnlyList<StoredStream> Files { get; }

    /// <summary>Opens a stored file for reading, streaming it from the repository. Unknown path: <see cref="ExitCode.NotFound"/>.</summary>
    Stream Open(string relativePath);

    /// <summary>
    /// Restores file trees stored by <see cref="IComponentBackup.AddPathsAsync"/> as <c>cairn restore</c> does, with
    /// full metadata: to their original absolute paths when <paramref name="targetDirectory"/> is null, else below it.
    /// <paramref name="includes"/> (absolute paths as backed up) limit what is restored; empty means everything.
    /// </summary>
    Task RestorePathsAsync(string? targetDirectory, IReadOnlyList<string> includes, CancellationToken cancellationToken);

    /// <summary>Progress and facts for the person running the restore (shown unless --quiet).</summary>
    void Info(string message);
}

/// <summary>
/// What part of a component to restore, and where: from <c>cairn restore SNAPSHOT --component NAME [--database D]
/// [--schema S] [--table T] [--key K] [--to TARGET] [--as NEWNAME]</c>. Each type documents which it honours.
/// </summary>
public sealed record ComponentRestoreRequest
{
    /// <summary>One database (postgres, mysql, mongodb) instead of all.</summary>
    public string? Database { get; init; }

    /// <summary>One schema of <see cref="Database"/> (postgres).</summary>
    public string? Schema { get; init; }

    /// <summary>One table (postgres, mysql) or collection (mongodb) of <see cref="Database"/>.</summary>
    public string? Table { get; init; }

    /// <summary>Keys or items matching this pattern only (redis, etcd, http, bucket: a prefix or glob, per type).</summary>
    public string? Key { get; init; }

    /// <summary>
    /// Where to restore instead of the configured source: another server ("host:port" or a URL), a data directory,
    /// a bucket, or a directory for files; per type. Null: the component's own configured server or paths.
    /// </summary>
    public string? Target { get; init; }

    /// <summary>A new name for the restored database (or collection), instead of the original one.</summary>
    public string? NewName { get; init; }
}
