using Cairn.Components;
using Cairn.Components.Postgres;
using Cairn.Snapshots;

namespace Cairn.Tests.Components.Postgres;

/// <summary>The postgres component against the real server of tests/servers/postgres.sh.</summary>
public sealed class PostgresComponentTests
{
    private static readonly string[] s_appTables = ["sales.customers", "sales.orders", "hr.departments", "hr.employees", "public.notes"];

    private readonly PgTestServer _pg = new();

    [Fact]
    public async Task A_whole_database_comes_back_after_a_dropped_table_and_deleted_rows()
    {
        var db = await _pg.CopyAsync("app");
        try
        {
            await using var harness = await ComponentHarness.CreateAsync();
            var component = new PostgresComponent("db", _pg.Options(db));
            var original = await _pg.FingerprintAsync(db, s_appTables);

            var snapshot = await harness.BackupAsync("db", component);
            var recorded = Assert.Single(snapshot.Components);
            Assert.True(snapshot.Status == SnapshotStatus.Complete, recorded.Error);
            Assert.StartsWith("pg_dump (PostgreSQL) 15", recorded.Tool, StringComparison.Ordinal);
            Assert.StartsWith("PostgreSQL 15.", recorded.ServerVersion, StringComparison.Ordinal);
            Assert.Contains("custom", recorded.Format, StringComparison.Ordinal);
            Assert.Equal([db, $"{db}.hr", $"{db}.hr.departments", $"{db}.hr.employees", $"{db}.public", $"{db}.public.notes",
                $"{db}.sales", $"{db}.sales.customers", $"{db}.sales.orders"], recorded.Items);
            Assert.Equal(db, recorded.Details![$"databases/{db}.dump"]);
            Assert.True(recorded.Bytes > 50_000, $"dump of {recorded.Bytes} bytes");

            await _pg.QueryAsync(db, "DROP TABLE hr.employees; DELETE FROM sales.orders WHERE id > 1000; INSERT INTO public.notes VALUES (99, 'new')");
            Assert.NotEqual(original, await _pg.FingerprintAsync(db, "sales.orders", "public.notes"));

            await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = db });
            Assert.Equal(original, await _pg.FingerprintAsync(db, s_appTables));
        }
        finally
        {
            await _pg.DropAsync(db);
        }
    }

    [Fact]
    public async Task One_schema_comes_back_alone_even_after_drop_schema_cascade()
    {
        var db = await _pg.CopyAsync("app");
        try
        {
            await using var harness = await ComponentHarness.CreateAsync();
            var component = new PostgresComponent("db", _pg.Options(db));
            var hr = await _pg.FingerprintAsync(db, "hr.departments", "hr.employees");
            var snapshot = await harness.BackupAsync("db", component);
            Assert.Equal(SnapshotStatus.Complete, snapshot.Status);

            await _pg.QueryAsync(db, "DROP SCHEMA hr CASCADE; DELETE FROM public.notes WHERE id > 10");
            await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Schema = "hr" });

            Assert.Equal(hr, await _pg.FingerprintAsync(db, "hr.departments", "hr.employees"));
            // Only the schema was restored: the other change stays.
            Assert.Equal("10", await _pg.QueryAsync(db, "SELECT count(*) FROM public.notes"));
            // The serial column's sequence came back with its position.
            Assert.Equal("51", await _pg.QueryAsync(db, "INSERT INTO hr.employees (name) VALUES ('new') RETURNING id"));
        }
        finally
        {
            await _pg.DropAsync(db);
        }
    }

    [Fact]
    public async Task One_table_comes_back_with_its_keys_indexes_and_the_foreign_keys_pointing_at_it()
    {
        var db = await _pg.CopyAsync("app");
        try
        {
            await using var harness = await ComponentHarness.CreateAsync();
            var component = new PostgresComponent("db", _pg.Options(db));
            var customers = await _pg.FingerprintAsync(db, "sales.customers", "sales.orders");
            var snapshot = await harness.BackupAsync("db", component);
            Assert.Equal(SnapshotStatus.Complete, snapshot.Status);

            // Dropping customers takes the orders' foreign key with it; the employees change must survive the restore.
            await _pg.QueryAsync(db, "DROP TABLE sales.customers CASCADE; DELETE FROM hr.employees WHERE id > 40");
            await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Table = "sales.customers" });

            Assert.Equal(customers, await _pg.FingerprintAsync(db, "sales.customers", "sales.orders"));
            Assert.Equal("40", await _pg.QueryAsync(db, "SELECT count(*) FROM hr.employees"));

            // Over an existing table: its rows are replaced by the backed-up ones.
            await _pg.QueryAsync(db, "UPDATE sales.customers SET name = 'changed' WHERE id <= 5");
            await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Schema = "sales", Table = "customers" });
            Assert.Equal(customers, await _pg.FingerprintAsync(db, "sales.customers", "sales.orders"));

            var missing = await Assert.ThrowsAsync<CairnException>(() =>
                harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Table = "sales.nosuch" }));
            Assert.Equal(ExitCode.NotFound, missing.ExitCode);
        }
        finally
        {
            await _pg.DropAsync(db);
        }
    }

    [Fact]
    public async Task A_database_can_be_restored_under_a_new_name_on_a_named_server()
    {
        var db = await _pg.CopyAsync("app");
        var copy = db + "_copy";
        try
        {
            await using var harness = await ComponentHarness.CreateAsync();
            var component = new PostgresComponent("db", _pg.Options(db));
            var snapshot = await harness.BackupAsync("db", component);
            Assert.Equal(SnapshotStatus.Complete, snapshot.Status);

            await harness.RestoreAsync(snapshot, "db", component,
                new ComponentRestoreRequest { NewName = copy, Target = $"{_pg.Host}:{_pg.Port}" });
            Assert.Equal(await _pg.FingerprintAsync(db, s_appTables), await _pg.FingerprintAsync(copy, s_appTables));
            // Owners are kept (the role exists on this server).
            Assert.Equal("cairn_app", await _pg.QueryAsync(copy, "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'"));

            // Only one table into the new database, which already holds it: replaced.
            await _pg.QueryAsync(copy, "TRUNCATE hr.employees");
            await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Table = "hr.employees", NewName = copy });
            Assert.Equal(await _pg.FingerprintAsync(db, "hr.employees"), await _pg.FingerprintAsync(copy, "hr.employees"));
        }
        finally
        {
            await _pg.DropAsync(db);
            await _pg.DropAsync(copy);
        }
    }

    [Fact]
    public async Task A_whole_component_restore_brings_back_the_roles_first()
    {
        var db = await _pg.CopyAsync("app");
        var role = "t_role_" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await _pg.QueryAsync(db, $"CREATE ROLE {role} LOGIN PASSWORD 'x'; GRANT SELECT ON hr.employees TO {role}");
            await using var harness = await ComponentHarness.CreateAsync();
            var component = new PostgresComponent("db", _pg.Options(db) with { Globals = true });
            var snapshot = await harness.BackupAsync("db", component);
            var recorded = Assert.Single(snapshot.Components);
            Assert.True(snapshot.Status == SnapshotStatus.Complete, recorded.Error);
            Assert.Equal("globals", recorded.Details!["globals.sql"]);

            await _pg.DropAsync(db);
            await _pg.QueryAsync("postgres", $"DROP ROLE {role}");
            await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest());

            Assert.Equal("t", await _pg.QueryAsync(db, $"SELECT has_table_privilege('{role}', 'hr.employees', 'SELECT')"));
            Assert.Equal(await _pg.FingerprintAsync("app", s_appTables), await _pg.FingerprintAsync(db, s_appTables));
        }
        finally
        {
            await _pg.DropAsync(db);
            await _pg.QueryAsync("postgres", $"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task A_wrong_password_fails_the_component_with_the_servers_words()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var snapshot = await harness.BackupAsync("db", new PostgresComponent("db", _pg.Options("app") with { Password = "wrong" }));
        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("password authentication failed", snapshot.Components[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_not_running_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var closed = new PostgresComponent("db", _pg.Options("app") with { Port = 25431, ConnectTimeout = 5 });
        var snapshot = await harness.BackupAsync("db", closed);
        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("Connection refused", snapshot.Components[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_pg_dump_names_the_debian_package()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var empty = Directory.CreateDirectory(Path.Combine(harness.Root, "no-tools")).FullName;
        var snapshot = await harness.BackupAsync("db", new PostgresComponent("db", _pg.Options("app") with { BinDir = empty }));
        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("pg_dump is not installed: install it with 'apt-get install postgresql-client'", snapshot.Components[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_backup_after_a_small_change_stores_little_new_data()
    {
        var db = await _pg.CopyAsync("app");
        try
        {
            // About 16 MB of varied rows. (Not pgbench_accounts: its blank-padded char(84) filler leaves a
            // content-defined chunker almost no cut points, so its chunks run to the 8 MiB maximum.)
            // Fillfactor 90 leaves room in each page, so updated rows stay in place (as in a table tuned for updates).
            await _pg.QueryAsync(db, "CREATE TABLE public.events WITH (fillfactor = 90) AS SELECT i AS id, md5(i::text) || ' ' || md5((i * 7919)::text) AS body, " +
                "now() - i * interval '1 minute' AS at FROM generate_series(1, 160000) i");
            await using var harness = await ComponentHarness.CreateAsync();
            var component = new PostgresComponent("db", _pg.Options(db));
            var first = await harness.BackupAsync("db", component);
            Assert.Equal(SnapshotStatus.Complete, first.Status);
            var dumpSize = first.Components[0].Bytes!.Value;
            Assert.True(dumpSize > 10_000_000, $"the dump has {dumpSize} bytes");

            // A change in one place of the table; with the dump's header (its time) that is two places in the dump.
            await _pg.QueryAsync(db, "UPDATE public.events SET body = 'changed ' || id WHERE id BETWEEN 50000 AND 50300");
            var second = await harness.BackupAsync("db", component);
            Assert.Equal(SnapshotStatus.Complete, second.Status);
            var added = second.Components[0].BytesAdded!.Value;
            // Each changed place costs one or two ~1 MiB chunks (header, the updated rows, the rows that moved): well under
            // half of a dump that is stored again whole without deduplication (compression off is what makes this work).
            Assert.True(added < dumpSize / 2, $"the second backup added {added} of {second.Components[0].Bytes} bytes");
        }
        finally
        {
            await _pg.DropAsync(db);
        }
    }

    [Fact]
    public async Task Restore_asks_for_a_database_when_the_component_holds_several()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new PostgresComponent("db", _pg.Options("app", "postgres"));
        var snapshot = await harness.BackupAsync("db", component);
        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        Assert.Contains("app.sales.orders", snapshot.Components[0].Items!);

        var e = await Assert.ThrowsAsync<CairnException>(() =>
            harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Table = "sales.orders" }));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        var missing = await Assert.ThrowsAsync<CairnException>(() =>
            harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = "nosuch" }));
        Assert.Equal(ExitCode.NotFound, missing.ExitCode);
    }
}
