using Cairn.Components.Postgres;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.Postgres;

/// <summary>
/// The PostgreSQL that tests/servers/postgres.sh starts (its CAIRN_TEST_PG_* variables; missing ones fail the test),
/// and scratch databases copied from its "app" and "bench" databases so tests never change those.
/// </summary>
internal sealed class PgTestServer
{
    public PgTestServer()
    {
        Host = Require("CAIRN_TEST_PG_HOST");
        Port = int.Parse(Require("CAIRN_TEST_PG_PORT"), System.Globalization.CultureInfo.InvariantCulture);
        User = Require("CAIRN_TEST_PG_USER");
        Password = Require("CAIRN_TEST_PG_PASSWORD");
        BinDir = Require("CAIRN_TEST_PG_BINDIR");
    }

    public string Host { get; }
    public int Port { get; }
    public string User { get; }
    public string Password { get; }
    public string BinDir { get; }

    /// <summary>Options for a component that dumps <paramref name="databases"/> as the superuser.</summary>
    public PostgresOptions Options(params string[] databases) => new()
    {
        Host = Host, Port = Port, User = User, Password = Password, Databases = databases, Globals = false, BinDir = BinDir,
    };

    /// <summary>Runs SQL in a database and returns the rows, one tab-separated line each.</summary>
    public async Task<string> QueryAsync(string database, string sql) =>
        (await ToolRunner.RunCapturingAsync(PostgresTools.For(Options()).Query(database, sql), CancellationToken.None)).Trim();

    /// <summary>A new database copied from <paramref name="template"/>, with a name unique to this run.</summary>
    public async Task<string> CopyAsync(string template)
    {
        var name = $"t_{template}_{Guid.NewGuid():N}"[..24];
        await QueryAsync("postgres", $"CREATE DATABASE {name} TEMPLATE {template}");
        return name;
    }

    public Task DropAsync(string database) => QueryAsync("postgres", $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");

    /// <summary>
    /// Row count and md5 of every row (ordered) of each table, plus the table's indexes and constraints: two databases
    /// with equal fingerprints hold the same data in the same shape.
    /// </summary>
    public async Task<string> FingerprintAsync(string database, params string[] tables)
    {
        var parts = new List<string>();
        foreach (var table in tables)
        {
            var rows = await QueryAsync(database, $"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t");
            var shape = await QueryAsync(database,
                $"SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT conname || ':' || pg_get_constraintdef(oid) AS x FROM pg_constraint WHERE conrelid = '{table}'::regclass " +
                $"UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname || '.' || tablename = '{table}') s");
            parts.Add($"{table}: {rows} [{shape}]");
        }
        return string.Join('\n', parts);
    }

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
            : throw new InvalidOperationException($"{name} is not set: start the test server first (source tests/servers/postgres.sh; test.sh does)");
}
