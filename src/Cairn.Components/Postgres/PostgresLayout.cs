using System.Text;

namespace Cairn.Components.Postgres;

/// <summary>
/// Where a postgres component's files live in its directory: <c>globals.sql</c> and <c>databases/NAME.dump</c>, with
/// the database name percent-encoded where it is not a plain file name. The manifest's details map each file to its
/// database, so the encoding never has to be reversed.
/// </summary>
internal static class PostgresLayout
{
    /// <summary>The roles and tablespaces (pg_dumpall --globals-only, SQL).</summary>
    public const string GlobalsFile = "globals.sql";

    /// <summary>The folder of the per-database dumps.</summary>
    public const string DatabasesFolder = "databases/";

    /// <summary>The dump file of one database.</summary>
    public static string DumpFile(string database)
    {
        var name = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(database))
        {
            var c = (char)b;
            var plain = b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || (c == '.' && name.Length > 0));
            name.Append(plain ? c.ToString() : $"%{b:X2}");
        }
        return DatabasesFolder + name + ".dump";
    }

    /// <summary>The databases a stored component holds, by name, with their dump files.</summary>
    public static IReadOnlyList<(string Database, string File)> Databases(IReadOnlyDictionary<string, string>? details, IReadOnlyList<StoredStream> files)
    {
        var stored = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        if (details is not null)
            return [.. details.Where(d => d.Key.StartsWith(DatabasesFolder, StringComparison.Ordinal) && stored.Contains(d.Key))
                .Select(d => (d.Value, d.Key)).OrderBy(d => d.Value, StringComparer.Ordinal)];
        // A manifest without details (never written by this component, but a reader should not depend on it).
        return [.. stored.Where(f => f.StartsWith(DatabasesFolder, StringComparison.Ordinal) && f.EndsWith(".dump", StringComparison.Ordinal))
            .Select(f => (Uri.UnescapeDataString(f[DatabasesFolder.Length..^".dump".Length]), f)).OrderBy(d => d.Item1, StringComparer.Ordinal)];
    }
}
