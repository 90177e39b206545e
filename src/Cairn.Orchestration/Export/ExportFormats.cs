using System.IO.Compression;

namespace Cairn.Orchestration.Export;

/// <summary>Names and compressing streams of the <see cref="ExportFormat"/>s.</summary>
public static class ExportFormats
{
    /// <summary>Parses "tar.gz" or "tar.zst" (as given to <c>--format</c>); null for anything else.</summary>
    public static ExportFormat? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "tar.gz" or "tgz" or "gz" or "gzip" => ExportFormat.TarGz,
        "tar.zst" or "tzst" or "zst" or "zstd" => ExportFormat.TarZst,
        _ => null,
    };

    /// <summary>The file name extension, with its leading dot.</summary>
    public static string Extension(this ExportFormat format) => format == ExportFormat.TarZst ? ".tar.zst" : ".tar.gz";

    /// <summary>A stream that compresses into <paramref name="output"/> (left open when disposed).</summary>
    internal static Stream Compress(this ExportFormat format, Stream output) => format == ExportFormat.TarZst
        // Level 3 is zstd's own default: several times faster than gzip at a better ratio.
        ? new ZstdSharp.CompressionStream(output, level: 3, leaveOpen: true)
        : new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true);
}
