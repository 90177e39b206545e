using Cairn.Components.Tools;

namespace Cairn.Components.Postgres;

/// <summary>The few catalog questions the component asks a server, through psql.</summary>
internal static class PostgresCatalog
{
    /// <summary>The server's version, e.g. "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)".</summary>
    public static async Task<string> ServerVersionAsync(PostgresTools tools, string database, CancellationToken ct)
    {
        var output = await ToolRunner.RunCapturingAsync(tools.Query(database, "SHOW server_version"), ct).ConfigureAwait(false);
        return "PostgreSQL " + output.Trim();
    }

    /// <summary>Every database that accepts connections and is not a template, by name.</summary>
    public static async Task<IReadOnlyList<string>> DatabasesAsync(PostgresTools tools, string database, CancellationToken ct) =>
        Lines(await ToolRunner.RunCapturingAsync(tools.Query(database,
            "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname"), ct).ConfigureAwait(false));

    /// <summary>Whether a database of that name exists.</summary>
    public static async Task<bool> DatabaseExistsAsync(PostgresTools tools, string maintenanceDatabase, string name, CancellationToken ct) =>
        Lines(await ToolRunner.RunCapturingAsync(tools.Query(maintenanceDatabase,
            "SELECT 1 FROM pg_database WHERE datname = " + Literal(name)), ct).ConfigureAwait(false)).Count > 0;

    /// <summary>Creates an empty database owned by the connecting role.</summary>
    public static Task CreateDatabaseAsync(PostgresTools tools, string maintenanceDatabase, string name, CancellationToken ct) =>
        ToolRunner.RunCapturingAsync(tools.Query(maintenanceDatabase, "CREATE DATABASE " + Identifier(name)), ct);

    /// <summary>The user schemas ("sales") and tables ("sales.customers") of one database, for the manifest's items.</summary>
    public static async Task<IReadOnlyList<string>> SchemasAndTablesAsync(PostgresTools tools, string database, CancellationToken ct) =>
        Lines(await ToolRunner.RunCapturingAsync(tools.Query(database,
            "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' " +
            "UNION ALL SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname !~ '^pg_' AND schemaname <> 'information_schema' " +
            "ORDER BY 1"), ct).ConfigureAwait(false));

    /// <summary>A string literal for SQL (standard_conforming_strings is on by default since 9.1).</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A quoted SQL identifier.</summary>
    public static string Identifier(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static List<string> Lines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];
}
