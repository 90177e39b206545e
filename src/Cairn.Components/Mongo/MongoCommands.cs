using System.Text.RegularExpressions;
using Cairn.Components.Tools;

namespace Cairn.Components.Mongo;

/// <summary>
/// The mongodump and mongorestore command lines of the mongodb component. Credentials are never among the arguments:
/// the URI and password are in the --config file (<see cref="MongoConnection.ConfigYaml"/>) whose path is passed.
/// </summary>
public static partial class MongoCommands
{
    /// <summary>The package name MongoDB ships the tools in (Debian itself has none).</summary>
    public const string Package = "mongodb-database-tools";

    /// <summary>What to do when mongodump or mongorestore is missing.</summary>
    public const string InstallHint =
        "Debian has no package for it: install MongoDB's " + Package + " (the .deb from https://www.mongodb.com/try/download/database-tools, " +
        "or from MongoDB's apt repository at https://repo.mongodb.org), version 100.3 or later";

    /// <summary>The file name of a database's archive in the component's directory.</summary>
    public static string ArchiveFile(string database) => database + ".archive";

    /// <summary><c>mongodump --version</c>.</summary>
    public static ToolCommand Version(string program) => new()
    {
        Program = program,
        Arguments = ["--version"],
        DebianPackage = Package,
        InstallHint = InstallHint,
    };

    /// <summary>
    /// mongodump of one database as an archive on stdout, uncompressed and one collection at a time, so the same data
    /// gives the same bytes and the repository's chunker can deduplicate it.
    /// </summary>
    public static ToolCommand Dump(string configFile, string database, IReadOnlyList<string> extra) => new()
    {
        Program = "mongodump",
        Arguments = ["--config", configFile, "--archive", "--db", database, "--numParallelCollections", "1", .. extra],
        DebianPackage = Package,
        InstallHint = InstallHint,
        IsErrorLine = IsErrorLine,
    };

    /// <summary>mongorestore of an archive read from stdin, limited and renamed by <paramref name="namespaces"/>.</summary>
    public static ToolCommand Restore(string configFile, IReadOnlyList<string> namespaces, bool drop, IReadOnlyList<string> extra) => new()
    {
        Program = "mongorestore",
        Arguments = ["--config", configFile, "--archive", .. drop ? ["--drop"] : Array.Empty<string>(), .. namespaces, .. extra],
        DebianPackage = Package,
        InstallHint = InstallHint,
        IsErrorLine = IsErrorLine,
    };

    /// <summary>
    /// Whether a line of mongodump/mongorestore's log means failure: the tools log progress on stderr (and a
    /// collection may well be called "errors"), so only their failure forms count: "Failed: …", an error they
    /// continued through, and documents that failed to restore.
    /// </summary>
    public static bool IsErrorLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var message = LogPrefix().Replace(line, "");
        return message.StartsWith("Failed:", StringComparison.Ordinal)
               || message.StartsWith("continuing through error", StringComparison.Ordinal)
               || FailedDocuments().IsMatch(message);
    }

    // "2024-05-01T10:00:00.000+0000\t" before each message.
    [GeneratedRegex(@"^\S*\d{4}-\d\d-\d\dT[\d:.]+[+-Z][\d:]*\s+")]
    private static partial Regex LogPrefix();

    [GeneratedRegex(@"\b[1-9]\d* document\(s\) failed to restore")]
    private static partial Regex FailedDocuments();
}
