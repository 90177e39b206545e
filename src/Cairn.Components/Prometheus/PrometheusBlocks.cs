using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Components.Prometheus;

/// <summary>TSDB blocks on disk and in a snapshot: describing them for the manifest, writing them back as a data directory.</summary>
internal static class PrometheusBlocks
{
    /// <summary>The folder of the component's directory that holds the snapshot's blocks.</summary>
    public const string Folder = "tsdb";

    /// <summary>
    /// One manifest item for the block in <paramref name="blockDir"/>: its ULID, time range and counts from meta.json
    /// ("01M8… 2026-11-22T04:00Z..06:00Z, 24000 samples, 200 series"), or just its name when meta.json is unreadable.
    /// </summary>
    public static string Describe(string blockDir)
    {
        var name = Path.GetFileName(blockDir);
        try
        {
            var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(blockDir, "meta.json")));
            var from = DateTimeOffset.FromUnixTimeMilliseconds(meta?["minTime"]?.GetValue<long>() ?? 0);
            var to = DateTimeOffset.FromUnixTimeMilliseconds(meta?["maxTime"]?.GetValue<long>() ?? 0);
            var samples = meta?["stats"]?["numSamples"]?.GetValue<long>() ?? 0;
            var series = meta?["stats"]?["numSeries"]?.GetValue<long>() ?? 0;
            return string.Create(CultureInfo.InvariantCulture,
                $"{name} {from:yyyy-MM-dd'T'HH:mm'Z'}..{to:yyyy-MM-dd'T'HH:mm'Z'}, {samples} samples, {series} series");
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException)
        {
            return name;
        }
    }

    /// <summary>
    /// Writes the stored blocks (files under <see cref="Folder"/>/) into <paramref name="dataDir"/>, each first as
    /// "ULID.tmp-for-creation" and renamed when complete: Prometheus deletes such leftovers at start, so an interrupted
    /// restore never leaves a half block it would load. Blocks already in the directory are kept and skipped.
    /// </summary>
    public static async Task<(int Written, int Skipped)> WriteAsync(IComponentRestore source, string dataDir, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDir);
        var prefix = Folder + "/";
        var blocks = source.Files.Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal))
            .GroupBy(f => f.Path[prefix.Length..].Split('/')[0], StringComparer.Ordinal);
        int written = 0, skipped = 0;
        foreach (var block in blocks)
        {
            if (block.Key is "" or "." or ".." || block.Any(f => f.Path.Length <= prefix.Length + block.Key.Length + 1))
                throw new IntegrityException($"the stored block {block.Key}", "its files are not in a block folder");
            var final = Path.Combine(dataDir, block.Key);
            if (Directory.Exists(final))
            {
                source.Info($"block {block.Key} is already in {dataDir}; kept as it is");
                skipped++;
                continue;
            }
            var temporary = final + ".tmp-for-creation";
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            foreach (var file in block)
            {
                var target = Path.GetFullPath(Path.Combine(temporary, file.Path[(prefix.Length + block.Key.Length + 1)..]));
                if (!target.StartsWith(temporary + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new IntegrityException($"the stored file {file.Path}", "its path leaves its block's folder");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using var input = source.Open(file.Path);
                await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
            Directory.Move(temporary, final);
            written++;
        }
        return (written, skipped);
    }
}
