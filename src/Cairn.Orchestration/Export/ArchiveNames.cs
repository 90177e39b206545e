using System.Globalization;
using System.Text;
using Cairn.Snapshots;

namespace Cairn.Orchestration.Export;

/// <summary>The archive's file name and the names of its entries.</summary>
public static class ArchiveNames
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The archive's name without extension: <c>JOB-INSTANCE-TIME</c> for a job snapshot (<c>JOB-TIME</c> without an
    /// instance), <c>HOST-TIME</c> for a plain <c>cairn backup</c>, with <c>-COMPONENT</c> before the time when one
    /// component is exported. TIME is the snapshot's time in UTC, <c>yyyyMMddTHHmmssZ</c>. Characters other than
    /// letters, digits, '.', '_', '+' and '-' become '_', so the name is safe in any shell and on any filesystem.
    /// </summary>
    public static string BaseName(Snapshot snapshot, string? component)
    {
        var parts = new List<string>();
        if (snapshot.Job is { } job)
        {
            parts.Add(job);
            if (!string.IsNullOrEmpty(snapshot.Instance)) parts.Add(snapshot.Instance);
        }
        else
        {
            parts.Add(string.IsNullOrEmpty(snapshot.Hostname) ? "snapshot" : snapshot.Hostname);
        }
        if (component is not null) parts.Add(component);
        parts.Add(snapshot.Time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
        return string.Join('-', parts.Select(Clean));
    }

    /// <summary>
    /// The first of <c>NAME.EXT</c>, <c>NAME_1.EXT</c>, <c>NAME_2.EXT</c>, … that does not exist in
    /// <paramref name="directory"/>, starting at suffix <paramref name="from"/> (0 is no suffix).
    /// </summary>
    public static (string Path, int Suffix) FirstFree(string directory, string baseName, string extension, int from = 0)
    {
        for (int n = from; ; n++)
        {
            var path = Path.Combine(directory, baseName + (n == 0 ? "" : "_" + n.ToString(CultureInfo.InvariantCulture)) + extension);
            // A dangling symlink under the name counts as taken: the name is never overwritten, whatever it is.
            if (!File.Exists(path) && !Directory.Exists(path) && new FileInfo(path).LinkTarget is null) return (path, n);
        }
    }

    /// <summary>
    /// The entry name for a file name from a snapshot tree: the name itself when it is UTF-8 (tar's PAX headers carry
    /// UTF-8 names of any length), else the valid parts with each invalid byte written as <c>\xNN</c>; then
    /// <paramref name="escaped"/> is true and metadata.json records the exact bytes.
    /// </summary>
    public static string EntryName(byte[] name, out bool escaped)
    {
        try
        {
            escaped = false;
            return s_strictUtf8.GetString(name);
        }
        catch (DecoderFallbackException)
        {
            escaped = true;
        }
        var text = new StringBuilder(name.Length + 8);
        var rest = name.AsSpan();
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(rest, out var rune, out int consumed);
            if (status == System.Buffers.OperationStatus.Done) text.Append(rune.ToString());
            else
            {
                consumed = Math.Max(consumed, 1);
                foreach (var b in rest[..consumed]) text.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
            rest = rest[consumed..];
        }
        return text.ToString();
    }

    private static string Clean(string part)
    {
        var text = new StringBuilder(part.Length);
        foreach (var c in part) text.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '+' or '-' ? c : '_');
        var cleaned = text.ToString().TrimStart('.');
        return cleaned.Length == 0 ? "_" : cleaned;
    }
}
