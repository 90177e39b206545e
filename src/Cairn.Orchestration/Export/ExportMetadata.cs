using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Export;

/// <summary>
/// metadata.json, the first entry of an export archive: what the backup was and a SHA-256 of every file, so the
/// archive can be understood and verified without Cairn. Its shape is documented in README's "Export" section.
/// </summary>
public sealed record ExportMetadata
{
    /// <summary>Always "cairn-export".</summary>
    public string Format { get; init; } = "cairn-export";

    /// <summary>Version of this document's shape; readers refuse a newer major version.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>When the archive was written.</summary>
    public required DateTimeOffset Exported { get; init; }

    /// <summary>The cairn version that wrote it.</summary>
    public required string CairnVersion { get; init; }

    /// <summary>The exported snapshot.</summary>
    public required ExportedSnapshot Snapshot { get; init; }

    /// <summary>The one component exported with --component; null when the whole snapshot is.</summary>
    public string? Component { get; init; }

    /// <summary>The archive directory that holds the snapshot's files ("data").</summary>
    public string DataDirectory { get; init; } = SnapshotExporter.DataDirectory;

    /// <summary>The components in the archive, as the snapshot's manifest records them.</summary>
    public IReadOnlyList<SnapshotComponent> Components { get; init; } = [];

    /// <summary>Counts of what the archive holds.</summary>
    public required ExportTotals Totals { get; init; }

    /// <summary>Every regular file (and hardlink) in the archive, in archive order.</summary>
    public IReadOnlyList<ExportedFile> Files { get; init; } = [];

    /// <summary>Entries not exported exactly, one sentence each.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    internal static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    /// <summary>The document as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Reads a metadata.json (tests and tools).</summary>
    public static ExportMetadata FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<ExportMetadata>(json, JsonOptions) ?? throw new JsonException("metadata.json is null");
}

/// <summary>The snapshot an archive was exported from.</summary>
public sealed record ExportedSnapshot
{
    /// <summary>The snapshot's id (64 hex digits).</summary>
    public required string Id { get; init; }
    /// <summary>When the backup was taken.</summary>
    public required DateTimeOffset Time { get; init; }
    /// <summary>The backed-up host.</summary>
    public required string Hostname { get; init; }
    /// <summary>Who ran the backup.</summary>
    public string? Username { get; init; }
    /// <summary>The job that made it; null for a plain cairn backup.</summary>
    public string? Job { get; init; }
    /// <summary>The instance, for job snapshots.</summary>
    public string? Instance { get; init; }
    /// <summary>The environment, for job snapshots.</summary>
    public string? Environment { get; init; }
    /// <summary>The snapshot's tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The backed-up paths (component paths for job snapshots).</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];
    /// <summary>complete, partial or failed.</summary>
    public SnapshotStatus Status { get; init; }
    /// <summary>The cairn version that made the backup.</summary>
    public string? ProgramVersion { get; init; }
    /// <summary>The backup's statistics.</summary>
    public SnapshotSummary? Summary { get; init; }
}

/// <summary>Counts of an archive's entries.</summary>
/// <param name="Files">Regular files, not counting hardlinks to them.</param>
/// <param name="Bytes">Bytes of their content.</param>
/// <param name="Hardlinks">Further names of files already in the archive.</param>
/// <param name="Directories">Directories.</param>
/// <param name="Symlinks">Symbolic links.</param>
/// <param name="Other">FIFOs and device nodes.</param>
public sealed record ExportTotals(long Files, long Bytes, long Hardlinks, long Directories, long Symlinks, long Other);

/// <summary>One regular file of an archive.</summary>
public sealed record ExportedFile
{
    /// <summary>Its name in the archive (below data/).</summary>
    public required string Path { get; init; }
    /// <summary>Its size in bytes.</summary>
    public required long Size { get; init; }
    /// <summary>SHA-256 of its content, lowercase hex (as sha256sum prints it).</summary>
    public required string Sha256 { get; init; }
    /// <summary>For a hardlink: the archive name of the file it is another name of (tar stores no data for it).</summary>
    public string? LinkTo { get; init; }
    /// <summary>When the name in the snapshot is not UTF-8: its exact bytes, base64 (the archive name shows them as \xNN).</summary>
    public string? RawPathBase64 { get; init; }
}
