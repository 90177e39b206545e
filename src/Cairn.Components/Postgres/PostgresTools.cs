using Cairn.Components.Tools;

namespace Cairn.Components.Postgres;

/// <summary>
/// Builds the command lines of pg_dump, pg_dumpall, pg_restore and psql for one server: host, port and user as
/// arguments, the password, sslmode and connect timeout only in the tool's environment.
/// </summary>
internal sealed class PostgresTools(PostgresOptions options, string host, int port)
{
    /// <summary>The Debian package that provides the client tools (a wrapper picking the newest installed version).</summary>
    public const string DebianPackage = "postgresql-client";

    /// <summary>The tools for the configured server.</summary>
    public static PostgresTools For(PostgresOptions options) => new(options, options.Host, options.Port);

    /// <summary>The same options and credentials against another server (restore <c>--to</c>).</summary>
    public PostgresTools At(string otherHost, int otherPort) => new(options, otherHost, otherPort);

    /// <summary>Where the commands connect, for messages.</summary>
    public string Endpoint => host.StartsWith('/') ? $"{host} (socket, port {port})" : $"{host}:{port}";

    /// <summary><c>pg_dump</c> of one database in custom format, uncompressed, to stdout.</summary>
    public ToolCommand Dump(string database) => Command("pg_dump",
        [.. Connection(database), "--format=custom", "--compress=0", .. options.DumpArguments]);

    /// <summary><c>pg_dumpall --globals-only</c> (roles and tablespaces as SQL) to stdout.</summary>
    public ToolCommand DumpGlobals() => Command("pg_dumpall",
        ["--host=" + host, "--port=" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username=" + options.User,
         "--no-password", "--database=" + options.MaintenanceDatabase, "--globals-only"]);

    /// <summary><c>pg_restore</c> reading a custom-format dump on stdin into <paramref name="database"/>.</summary>
    public ToolCommand Restore(string database, IReadOnlyList<string> extra) => Command("pg_restore", [.. Connection(database), .. extra]);

    /// <summary><c>pg_restore</c> without a connection, printing what a dump on stdin holds (<c>--list</c>, <c>-f -</c>).</summary>
    public ToolCommand Inspect(IReadOnlyList<string> arguments) => Command("pg_restore", arguments, connects: false);

    /// <summary><c>psql</c> running one query and printing unaligned, tuples-only rows separated by tabs.</summary>
    public ToolCommand Query(string database, string sql) => Command("psql",
        [.. Connection(database), "--no-psqlrc", "--no-align", "--tuples-only", "--quiet", "--field-separator=\t",
         "--set=ON_ERROR_STOP=1", "--command=" + sql]);

    /// <summary><c>psql</c> running the SQL script on stdin (the globals), stopping at nothing.</summary>
    public ToolCommand Script(string database, Func<string, bool> isErrorLine) => Command("psql",
        [.. Connection(database), "--no-psqlrc", "--quiet", "--file=-"]) with { IsErrorLine = isErrorLine };

    /// <summary>The version line of a client tool, e.g. "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".</summary>
    public ToolCommand Version(string program) => Command(program, ["--version"], connects: false);

    private string[] Connection(string database) =>
        ["--host=" + host, "--port=" + port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--username=" + options.User,
         "--no-password", "--dbname=" + database];

    private ToolCommand Command(string program, IReadOnlyList<string> arguments, bool connects = true)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // Messages the tools print are parsed for "error"; keep them in English whatever the machine's locale.
            ["LC_MESSAGES"] = "C",
            ["PGAPPNAME"] = "cairn",
        };
        if (connects)
        {
            environment["PGCONNECT_TIMEOUT"] = options.ConnectTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (options.Password is { } password) environment["PGPASSWORD"] = password;
            if (options.Sslmode is { } sslmode) environment["PGSSLMODE"] = sslmode;
        }
        return new ToolCommand
        {
            Program = options.BinDir is { } dir ? Path.Combine(dir, program) : program,
            Arguments = arguments,
            Environment = environment,
            DebianPackage = DebianPackage,
        };
    }
}
