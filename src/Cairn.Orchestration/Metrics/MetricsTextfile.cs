using System.Globalization;
using System.Text;

namespace Cairn.Orchestration.Metrics;

/// <summary>One sample of Prometheus' text format: a metric name, its labels and its value.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// The node_exporter textfile for runs without the daemon (<c>cairn job run --metrics-file</c>). Each update reads
/// the file back (it holds the other jobs' last values and this job's failure count and last success), applies the
/// new run, and replaces the file atomically: written beside it under a name node_exporter ignores, flushed, then
/// renamed over it, so a scrape never sees half a file. A lock file beside it serialises runs that finish together.
/// </summary>
public static class MetricsTextfile
{
    /// <summary>Reads <paramref name="path"/> back (if it exists), lets <paramref name="apply"/> change the metrics, and writes them.</summary>
    public static async Task UpdateAsync(string path, CairnMetrics metrics, Action<CairnMetrics> apply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(apply);
        var full = Path.GetFullPath(path);
        using (await LockAsync(full + ".lock", cancellationToken).ConfigureAwait(false))
        {
            if (File.Exists(full)) metrics.Restore(Parse(await File.ReadAllTextAsync(full, cancellationToken).ConfigureAwait(false)));
            apply(metrics);
            var text = await metrics.ToTextAsync(cancellationToken).ConfigureAwait(false);
            // node_exporter reads only *.prom, so the temporary name is never collected.
            var temporary = $"{full}.{Environment.ProcessId}.tmp";
            try
            {
                await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temporary, full, overwrite: true);
            }
            catch
            {
                File.Delete(temporary);
                throw;
            }
        }
    }

    /// <summary>The samples of a text-format exposition; comments, blank lines and lines that do not parse are skipped.</summary>
    public static IReadOnlyList<MetricSample> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<MetricSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (ParseLine(line) is { } sample) samples.Add(sample);
        }
        return samples;
    }

    private static MetricSample? ParseLine(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        var labels = new Dictionary<string, string>();
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') return null;
                var key = line[i..eq].Trim();
                var value = new StringBuilder();
                int j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] == '\\' && j + 1 < line.Length)
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else value.Append(line[j]);
                }
                if (j >= line.Length) return null;
                labels[key] = value.ToString();
                i = j + 1;
                if (i < line.Length && line[i] == ',') i++;
            }
            i++;
        }
        // The value, then an optional timestamp.
        var rest = line[Math.Min(i, line.Length)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (name.Length == 0 || rest.Length == 0) return null;
        double number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) => v,
            _ => double.NaN,
        };
        return double.IsNaN(number) && rest[0] != "NaN" ? null : new MetricSample(name, labels, number);
    }

    // Another `cairn job run` may be writing the same file; its lock is held for milliseconds, so a short wait suffices.
    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
