using Cairn.Components;
using Cairn.Components.Postgres;

namespace Cairn.Tests.Components.Postgres;

public sealed class PostgresCommandTests
{
    private static readonly PostgresOptions s_options = new()
    {
        Host = "db.example.org", Port = 5433, User = "backup", Password = "s3cret!", Sslmode = "require",
        DumpArguments = ["--exclude-table-data=public.logs"],
    };

    [Fact]
    public void Pg_dump_writes_uncompressed_custom_format_and_gets_the_password_only_through_its_environment()
    {
        var dump = PostgresTools.For(s_options).Dump("app");
        Assert.Equal("pg_dump", dump.Program);
        Assert.Equal(
            ["--host=db.example.org", "--port=5433", "--username=backup", "--no-password", "--dbname=app", "--format=custom", "--compress=0",
             "--exclude-table-data=public.logs"],
            dump.Arguments);
        Assert.DoesNotContain(dump.Arguments, a => a.Contains("s3cret", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cret", dump.ToString(), StringComparison.Ordinal);
        Assert.Equal("s3cret!", dump.Environment["PGPASSWORD"]);
        Assert.Equal("require", dump.Environment["PGSSLMODE"]);
        Assert.Equal("postgresql-client", dump.DebianPackage);
    }

    [Fact]
    public void The_globals_come_from_pg_dumpall_and_bin_dir_picks_the_tools_directory()
    {
        var tools = PostgresTools.For(s_options with { BinDir = "/usr/lib/postgresql/16/bin", Password = null });
        var globals = tools.DumpGlobals();
        Assert.Equal("/usr/lib/postgresql/16/bin/pg_dumpall", globals.Program);
        Assert.Contains("--globals-only", globals.Arguments);
        Assert.False(globals.Environment.ContainsKey("PGPASSWORD"));
        // Listing a dump connects nowhere, so it gets no credentials at all.
        Assert.False(PostgresTools.For(s_options).Inspect(["--list"]).Environment.ContainsKey("PGPASSWORD"));
    }

    [Theory]
    [InlineData("other.example.org:6543", "other.example.org:6543")]
    [InlineData("other.example.org", "other.example.org:5433")]
    [InlineData("[::1]:6000", "::1:6000")]
    [InlineData("::1", "::1:5433")]
    [InlineData("/run/postgresql", "/run/postgresql (socket, port 5433)")]
    public void Restore_to_parses_host_port_and_socket_directories(string target, string endpoint) =>
        Assert.Equal(endpoint, new PostgresRestorer(s_options).ParseTarget(target).Endpoint);

    [Fact]
    public void Restore_to_with_a_bad_port_is_a_usage_error()
    {
        var e = Assert.Throws<CairnException>(() => new PostgresRestorer(s_options).ParseTarget("host:99999"));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
    }

    [Theory]
    [InlineData(null, "sales.orders", "sales", "orders")]
    [InlineData("sales", "orders", "sales", "orders")]
    [InlineData(null, "orders", "public", "orders")]
    [InlineData("hr", null, "hr", null)]
    public void A_table_is_schema_qualified_or_in_public(string? schema, string? table, string expectedSchema, string? expectedTable) =>
        Assert.Equal((expectedSchema, expectedTable), PostgresRestorer.SchemaAndTable(new ComponentRestoreRequest { Schema = schema, Table = table }));

    [Theory]
    [InlineData("app", "databases/app.dump")]
    [InlineData("my-db_2.old", "databases/my-db_2.old.dump")]
    [InlineData("../etc", "databases/%2E.%2Fetc.dump")]
    [InlineData("Ünï cödé", "databases/%C3%9Cn%C3%AF%20c%C3%B6d%C3%A9.dump")]
    public void Dump_file_names_are_plain_or_percent_encoded(string database, string file)
    {
        Assert.Equal(file, PostgresLayout.DumpFile(database));
        // Without the manifest's map the name still decodes back.
        Assert.Equal(database, PostgresLayout.Databases(null, [new StoredStream(file, 1)]).Single().Database);
    }

    [Fact]
    public void The_catalog_quotes_literals_and_identifiers()
    {
        Assert.Equal("'it''s'", PostgresCatalog.Literal("it's"));
        Assert.Equal("\"a \"\"b\"\"\"", PostgresCatalog.Identifier("a \"b\""));
    }

    [Fact]
    public void Both_types_are_in_the_catalog()
    {
        Assert.Equal(typeof(PostgresOptions), ComponentCatalog.Find("postgres")?.OptionsType);
        Assert.Equal(typeof(Cairn.Components.Sqlite.SqliteOptions), ComponentCatalog.Find("sqlite")?.OptionsType);
    }
}
