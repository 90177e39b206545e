namespace Cairn.Components;

/// <summary>
/// Where a component writes during a backup: its own directory in the snapshot being built (the directory is the
/// component's name at the snapshot's root). Paths are relative to that directory, '/'-separated, without "..".
/// Calls are made one at a time (a component does not add two streams concurrently).
/// </summary>
public interface IComponentBackup
{
    /// <summary>The component's name in the job.</summary>
    string ComponentName { get; }

    /// <summary>What the snapshot's manifest will say about this component; fill it as facts become known.</summary>
    ComponentManifest Manifest { get; }

    /// <summary>The clock (tests inject one).</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// Reads <paramref name="content"/> to its end and stores it, chunked and deduplicated, as the file
    /// <paramref name="relativePath"/> (intermediate directories are created). The stream is not disposed.
    /// </summary>
    Task<StoredStream> AddStreamAsync(string relativePath, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Backs up file trees as <c>cairn backup</c> does (metadata, hardlinks, sparse files, the file cache against the
    /// job's previous snapshot), each under its absolute path inside the component's directory.
    /// Unreadable files become warnings (the component is then partial), not failures.
    /// </summary>
    Task AddPathsAsync(IReadOnlyList<string> paths, IReadOnlyList<string> excludes, CancellationToken cancellationToken);

    /// <summary>Records a problem that leaves the component usable but inexact (it becomes "partial").</summary>
    void Warn(string path, string message);

    /// <summary>Progress and facts for the person running the job (shown unless --quiet).</summary>
    void Info(string message);
}

/// <summary>A stream that was stored: its path in the component's directory and its length in bytes.</summary>
public sealed record StoredStream(string Path, long Size);

/// <summary>The manifest entry a component fills during backup; the runner copies it into the snapshot.</summary>
public sealed class ComponentManifest
{
    /// <summary>The tool that produced the data with its version, e.g. "pg_dump (PostgreSQL) 15.18".</summary>
    public string? Tool { get; set; }

    /// <summary>The server's version, e.g. "PostgreSQL 15.18".</summary>
    public string? ServerVersion { get; set; }

    /// <summary>The data's format, e.g. "pg_dump custom, uncompressed".</summary>
    public string? Format { get; set; }

    /// <summary>What the component holds, for <c>cairn ls</c>: databases, "db.schema.table" names, key counts, paths.</summary>
    public List<string> Items { get; } = [];

    /// <summary>Facts restore needs or a reader wants (dump options, a file-name → database map); never secrets.</summary>
    public Dictionary<string, string> Details { get; } = new(StringComparer.Ordinal);
}
