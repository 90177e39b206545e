using System.Text.RegularExpressions;

namespace Cairn.Components.Postgres;

/// <summary>One line of <c>pg_restore --list</c>: "216; 1259 16411 TABLE sales customers cairn_app".</summary>
/// <param name="Line">The line as pg_restore printed it (a restore list names entries by these lines).</param>
/// <param name="Kind">The entry's description, e.g. "TABLE DATA", "FK CONSTRAINT".</param>
/// <param name="Schema">Its schema, or "-" for none.</param>
/// <param name="Tag">Its name; for constraints, triggers and defaults "TABLE NAME", for ACLs and comments "TYPE NAME".</param>
internal sealed record TocEntry(string Line, string Kind, string Schema, string Tag)
{
    // Multi-word kinds first, so "TABLE DATA" is not read as "TABLE" with tag "DATA …".
    private static readonly string[] s_kinds =
    [
        "MATERIALIZED VIEW DATA", "SEQUENCE OWNED BY", "SEQUENCE SET", "MATERIALIZED VIEW", "TABLE DATA", "FK CONSTRAINT",
        "ROW SECURITY", "DEFAULT ACL", "FOREIGN TABLE", "TABLE ATTACH", "INDEX ATTACH",
    ];

    private static readonly Regex s_line = new(@"^\d+; \d+ \d+ (.+)$", RegexOptions.CultureInvariant);

    /// <summary>The entries of a <c>pg_restore --list</c> output (comment lines skipped).</summary>
    public static IReadOnlyList<TocEntry> ParseList(IEnumerable<string> lines)
    {
        var entries = new List<TocEntry>();
        foreach (var line in lines)
        {
            var m = s_line.Match(line.TrimEnd('\r'));
            if (!m.Success) continue;
            var rest = m.Groups[1].Value;
            var kind = s_kinds.FirstOrDefault(k => rest.StartsWith(k + " ", StringComparison.Ordinal)) ?? rest.Split(' ')[0];
            var words = rest[(kind.Length + 1)..].Split(' ');
            if (words.Length < 2) continue;
            // schema, then the tag (which may hold spaces), then the owner (empty for some entries).
            entries.Add(new TocEntry(line.TrimEnd('\r'), kind, words[0], string.Join(' ', words[1..^1])));
        }
        return entries;
    }
}

/// <summary>
/// Picks the entries of a dump's table of contents that restore one schema or one table, for <c>pg_restore -L</c>:
/// pg_restore's own <c>-n</c> leaves out the schema itself and <c>-t</c> leaves out indexes and constraints.
/// </summary>
internal static partial class DumpSelection
{
    // An identifier as pg_dump writes it: bare, or double-quoted with "" for a quote. Id captures it, AnyId does not.
    private const string AnyId = @"(?:""(?:[^""]|"""")+""|[^\s.(""]+)";
    private const string Id = "(" + AnyId + ")";

    /// <summary>The schema, everything in it, and the schema's own grants and comment.</summary>
    public static IReadOnlyList<TocEntry> Schema(IReadOnlyList<TocEntry> toc, string schema) =>
        [.. toc.Where(e => e.Schema == schema
            || (e.Kind == "SCHEMA" && e.Tag == schema)
            || (e.Kind is "ACL" or "COMMENT" && e.Schema == "-" && e.Tag == "SCHEMA " + schema))];

    /// <summary>
    /// The table with its data, constraints, indexes, triggers, defaults, policies, grants, comments, the sequences it
    /// owns (serial and identity columns), and the foreign keys of other tables that reference it (so that it can be
    /// dropped and put back while they exist). <paramref name="schemaSql"/> is the dump's <c>--schema-only</c> SQL,
    /// which says what the list does not: which table an index is on, which sequences a table owns, where foreign keys point.
    /// </summary>
    public static IReadOnlyList<TocEntry> Table(IReadOnlyList<TocEntry> toc, string schemaSql, string schema, string table)
    {
        var indexes = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in IndexStatement().Matches(schemaSql))
            if (Unquote(m.Groups[2].Value) == schema && Unquote(m.Groups[3].Value) == table) indexes.Add(Unquote(m.Groups[1].Value));

        var sequences = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in OwnedSequenceStatement().Matches(schemaSql))
            if (Unquote(m.Groups[3].Value) == schema && Unquote(m.Groups[4].Value) == table && Unquote(m.Groups[1].Value) == schema)
                sequences.Add(Unquote(m.Groups[2].Value));
        foreach (Match m in IdentityStatement().Matches(schemaSql))
            if (Unquote(m.Groups[1].Value) == schema && Unquote(m.Groups[2].Value) == table && Unquote(m.Groups[3].Value) == schema)
                sequences.Add(Unquote(m.Groups[4].Value));

        var referencing = new HashSet<(string Schema, string Tag)>();
        foreach (Match m in ForeignKeyStatement().Matches(schemaSql))
            if (Unquote(m.Groups[4].Value) == schema && Unquote(m.Groups[5].Value) == table)
                referencing.Add((Unquote(m.Groups[1].Value), Unquote(m.Groups[2].Value) + " " + Unquote(m.Groups[3].Value)));

        return [.. toc.Where(e =>
            (e.Kind == "FK CONSTRAINT" && referencing.Contains((e.Schema, e.Tag)))
            || (e.Schema == schema && e.Kind switch
            {
                "TABLE" or "TABLE DATA" or "ROW SECURITY" => e.Tag == table,
                "CONSTRAINT" or "FK CONSTRAINT" or "TRIGGER" or "DEFAULT" or "POLICY" or "RULE" => e.Tag.StartsWith(table + " ", StringComparison.Ordinal),
                "INDEX" => indexes.Contains(e.Tag),
                "SEQUENCE" or "SEQUENCE OWNED BY" or "SEQUENCE SET" => sequences.Contains(e.Tag),
                "ACL" or "COMMENT" => e.Tag == "TABLE " + table || e.Tag.StartsWith("COLUMN " + table + ".", StringComparison.Ordinal)
                    || sequences.Contains(e.Tag.StartsWith("SEQUENCE ", StringComparison.Ordinal) ? e.Tag["SEQUENCE ".Length..] : ""),
                _ => false,
            }))];
    }

    private static string Unquote(string identifier) =>
        identifier.Length >= 2 && identifier[0] == '"' ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier;

    [GeneratedRegex(@"CREATE (?:UNIQUE )?INDEX " + Id + @" ON (?:ONLY )?" + Id + @"\." + Id + " ", RegexOptions.CultureInvariant)]
    private static partial Regex IndexStatement();

    [GeneratedRegex(@"ALTER SEQUENCE " + Id + @"\." + Id + @" OWNED BY " + Id + @"\." + Id + @"\." + Id + ";", RegexOptions.CultureInvariant)]
    private static partial Regex OwnedSequenceStatement();

    // Groups: table schema, table, sequence schema, sequence (the column is not captured).
    [GeneratedRegex(@"ALTER TABLE (?:ONLY )?" + Id + @"\." + Id + @" ALTER COLUMN " + AnyId + @" ADD GENERATED (?:ALWAYS|BY DEFAULT) AS IDENTITY \(\s*SEQUENCE NAME " + Id + @"\." + Id, RegexOptions.CultureInvariant)]
    private static partial Regex IdentityStatement();

    [GeneratedRegex(@"ALTER TABLE (?:ONLY )?" + Id + @"\." + Id + @"\s+ADD CONSTRAINT " + Id + @" FOREIGN KEY \([^)]*\) REFERENCES " + Id + @"\." + Id + @"\(", RegexOptions.CultureInvariant)]
    private static partial Regex ForeignKeyStatement();
}
