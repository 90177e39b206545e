namespace Cairn.Orchestration.Export;

/// <summary>How an export archive is compressed; the file name ends in the matching extension.</summary>
public enum ExportFormat
{
    /// <summary>tar compressed with gzip (<c>.tar.gz</c>): every system can open it.</summary>
    TarGz,
    /// <summary>tar compressed with zstd (<c>.tar.zst</c>): faster and smaller; needs zstd (or tar --zstd).</summary>
    TarZst,
}

/// <summary>What <see cref="SnapshotExporter"/> writes: which part of the snapshot, where, and how compressed.</summary>
public sealed record ExportOptions
{
    /// <summary>The existing directory the archive is written into.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Only this component of a job snapshot; null exports the whole snapshot.</summary>
    public string? Component { get; init; }

    /// <summary>The compression of the archive.</summary>
    public ExportFormat Format { get; init; } = ExportFormat.TarGz;

    /// <summary>The clock that dates the export (metadata.json's <c>exported</c>).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>What an export wrote.</summary>
/// <param name="Path">The archive's full path.</param>
/// <param name="Files">Regular files in it (hardlinks counted once).</param>
/// <param name="Bytes">Bytes of file content in it (before compression).</param>
/// <param name="ArchiveBytes">Size of the compressed archive.</param>
/// <param name="Warnings">Entries that could not be exported exactly (sockets, names that are not UTF-8, lost data).</param>
public sealed record ExportResult(string Path, long Files, long Bytes, long ArchiveBytes, IReadOnlyList<string> Warnings);
