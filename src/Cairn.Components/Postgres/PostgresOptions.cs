namespace Cairn.Components.Postgres;

/// <summary>Options of a <c>postgres</c> component (YAML keys are the snake_case names, e.g. <c>exclude_databases</c>).</summary>
public sealed record PostgresOptions : ComponentOptions
{
    /// <summary>Server host name or address, or a Unix socket directory (a path starting with '/').</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>Server port.</summary>
    public int Port { get; init; } = 5432;

    /// <summary>The role to connect as; backing up every database and the globals needs a superuser.</summary>
    public string User { get; init; } = "postgres";

    /// <summary>Its password (or <c>password_file</c>); given to the tools as PGPASSWORD. Null: ~/.pgpass or peer auth.</summary>
    [Secret] public string? Password { get; init; }

    /// <summary>Databases to dump; empty means every database that accepts connections, except templates.</summary>
    public IReadOnlyList<string> Databases { get; init; } = [];

    /// <summary>Databases left out of "every database".</summary>
    public IReadOnlyList<string> ExcludeDatabases { get; init; } = [];

    /// <summary>Whether to store roles and tablespaces (<c>pg_dumpall --globals-only</c>) as well.</summary>
    public bool Globals { get; init; } = true;

    /// <summary>libpq's sslmode (disable, allow, prefer, require, verify-ca, verify-full), given as PGSSLMODE; null: libpq's default.</summary>
    public string? Sslmode { get; init; }

    /// <summary>The database to connect to for listings, globals and CREATE DATABASE.</summary>
    public string MaintenanceDatabase { get; init; } = "postgres";

    /// <summary>
    /// The directory of pg_dump, pg_dumpall, pg_restore and psql, e.g. /usr/lib/postgresql/16/bin, so their major
    /// version can match (or exceed) the server's; null: found on PATH.
    /// </summary>
    public string? BinDir { get; init; }

    /// <summary>Extra pg_dump arguments, e.g. <c>--exclude-table-data=public.logs</c> (not format or output options).</summary>
    public IReadOnlyList<string> DumpArguments { get; init; } = [];

    /// <summary>Seconds to wait for a connection before the component fails (PGCONNECT_TIMEOUT).</summary>
    public int ConnectTimeout { get; init; } = 30;
}
