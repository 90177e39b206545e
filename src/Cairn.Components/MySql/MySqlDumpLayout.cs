using System.Text;

namespace Cairn.Components.MySql;

/// <summary>
/// Where each part of a mysqldump goes in the component's directory, and the order restore feeds the parts back:
/// <code>
/// header.sql                              session settings mysqldump writes first (needed before any part)
/// footer.sql                              the settings it restores at the end, and "-- Dump completed"
/// databases/DB/database.sql               CREATE DATABASE … and USE (the "Current Database" section)
/// databases/DB/tables/TABLE.sql           one table: DROP/CREATE TABLE, its rows, its triggers
/// databases/DB/views/VIEW.stub.sql        the placeholder mysqldump creates so views can refer to views
/// databases/DB/views/VIEW.sql             the view's real definition
/// databases/DB/routines.sql, events.sql   stored procedures and functions; events
/// </code>
/// Names are percent-encoded (UTF-8) except ASCII letters, digits, '_', '-' and '$', so any identifier is one safe path
/// segment. A section title seen twice (mysqldump visits each database again for its views) gets ".2", ".3" … before ".sql".
/// </summary>
internal static class MySqlDumpLayout
{
    public const string Header = "header.sql";
    public const string Footer = "footer.sql";
    public const string DatabasesDirectory = "databases/";

    /// <summary>The directory of one database's parts.</summary>
    public static string DatabaseDirectory(string database) => DatabasesDirectory + Encode(database) + "/";

    public static string TablePath(string database, string table) => DatabaseDirectory(database) + "tables/" + Encode(table) + ".sql";

    public static string ViewPath(string database, string view) => DatabaseDirectory(database) + "views/" + Encode(view) + ".sql";

    public static string ViewStubPath(string database, string view) => DatabaseDirectory(database) + "views/" + Encode(view) + ".stub.sql";

    public static string DatabaseStatementPath(string database) => DatabaseDirectory(database) + "database.sql";

    /// <summary>The rank of a part in a database's restore: placeholders and tables, then events and routines, then views.</summary>
    public static int RestoreRank(string pathInDatabase) => pathInDatabase switch
    {
        _ when pathInDatabase.StartsWith("views/", StringComparison.Ordinal) && pathInDatabase.EndsWith(".stub.sql", StringComparison.Ordinal) => 0,
        _ when pathInDatabase.StartsWith("tables/", StringComparison.Ordinal) => 1,
        _ when pathInDatabase.StartsWith("events", StringComparison.Ordinal) => 2,
        _ when pathInDatabase.StartsWith("routines", StringComparison.Ordinal) => 3,
        _ when pathInDatabase.StartsWith("views/", StringComparison.Ordinal) => 4,
        // "database.sql" holds CREATE DATABASE and USE of the original name: restore makes the database itself.
        _ when pathInDatabase.StartsWith("database", StringComparison.Ordinal) => -1,
        _ => 5,
    };

    /// <summary>One path segment for an identifier.</summary>
    public static string Encode(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            if (b < 0x80 && (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-' or (byte)'$')) sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>The identifier of a path segment made by <see cref="Encode"/>.</summary>
    public static string Decode(string segment)
    {
        var bytes = new List<byte>(segment.Length);
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '%' && i + 2 < segment.Length)
            {
                bytes.Add(Convert.ToByte(segment.Substring(i + 1, 2), 16));
                i += 2;
            }
            else bytes.Add((byte)segment[i]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// The part a section of the dump belongs to, from its title ("Table structure for table `t`") and the database
    /// being dumped; null for "Current Database" (the caller switches databases and uses <see cref="DatabaseStatementPath"/>).
    /// </summary>
    public static string PathOfSection(string title, string? database)
    {
        var db = database ?? "";
        if ((Named(title, "Table structure for table ") ?? Named(title, "Dumping data for table ")) is { } table) return TablePath(db, table);
        if ((Named(title, "Temporary table structure for view ") ?? Named(title, "Temporary view structure for view ")) is { } stub)
            return ViewStubPath(db, stub);
        if (Named(title, "Final view structure for view ") is { } v) return ViewPath(db, v);
        if (title.StartsWith("Dumping routines", StringComparison.Ordinal)) return DatabaseDirectory(db) + "routines.sql";
        if (title.StartsWith("Dumping events", StringComparison.Ordinal)) return DatabaseDirectory(db) + "events.sql";
        return database is null ? "other.sql" : DatabaseDirectory(db) + "other.sql";
    }

    /// <summary>The database a "Current Database: `db`" title names, or null for any other title.</summary>
    public static string? CurrentDatabase(string title) => Named(title, "Current Database: ");

    /// <summary><paramref name="path"/> with ".N" before ".sql" for the N-th use of the same name.</summary>
    public static string Numbered(string path, int n) => n <= 1 ? path : path[..^4] + "." + n.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".sql";

    // "<prefix>`name`" with doubled backquotes inside → name.
    private static string? Named(string title, string prefix)
    {
        if (!title.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var rest = title[prefix.Length..].TrimEnd();
        if (rest.Length < 2 || rest[0] != '`' || rest[^1] != '`') return null;
        return rest[1..^1].Replace("``", "`", StringComparison.Ordinal);
    }
}
