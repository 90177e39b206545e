using Cairn.Components;
using Cairn.Components.MySql;
using Cairn.Components.Tools;
using Cairn.Snapshots;

namespace Cairn.Tests.Components.MySql;

/// <summary>The mysql component against the real MariaDB test server, through a real repository.</summary>
public sealed class MySqlComponentTests
{
    [Fact]
    public async Task A_dropped_table_view_and_routine_come_back_with_a_database_restore()
    {
        var db = await MariaDbServer.CreateShopAsync("drop");
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MySqlComponent("db", MariaDbServer.Options(db));
        var tables = await MariaDbServer.FingerprintAsync(db);
        var definitions = await MariaDbServer.DefinitionsAsync(db);

        var snapshot = await harness.BackupAsync("db", component);

        var entry = Assert.Single(snapshot.Components!);
        Assert.True(entry.Status == SnapshotStatus.Complete, entry.Error);
        Assert.StartsWith("mysqldump", entry.Tool, StringComparison.Ordinal);
        Assert.Contains("MariaDB", entry.ServerVersion, StringComparison.Ordinal);
        Assert.Equal([db, db + ".big_orders", db + ".customers", db + ".notes", db + ".orders"], entry.Items!.Order(StringComparer.Ordinal));

        await MariaDbServer.ExecuteAsync($"USE {db}; DROP VIEW big_orders; DROP PROCEDURE order_count; DROP TABLE orders; UPDATE customers SET name = 'changed' WHERE id < 50; DELETE FROM notes WHERE id > 100;");
        Assert.NotEqual(tables, await MariaDbServer.FingerprintAsync(db));

        await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = db });

        Assert.Equal(tables, await MariaDbServer.FingerprintAsync(db));
        Assert.Equal(definitions.Order(), (await MariaDbServer.DefinitionsAsync(db)).Order());
        Assert.Equal(await MariaDbServer.QueryAsync($"SELECT COUNT(*) FROM {db}.orders WHERE amount > 90"), await MariaDbServer.QueryAsync($"SELECT COUNT(*) FROM {db}.big_orders"));
        await MariaDbServer.ExecuteAsync($"DROP DATABASE {db}");
    }

    [Fact]
    public async Task One_table_restores_alone_and_the_others_stay_as_they_are()
    {
        var db = await MariaDbServer.CreateShopAsync("table");
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MySqlComponent("db", MariaDbServer.Options(db));
        var original = await MariaDbServer.FingerprintAsync(db);
        var snapshot = await harness.BackupAsync("db", component);

        await MariaDbServer.ExecuteAsync($"USE {db}; DELETE FROM orders WHERE id > 100; DELETE FROM notes WHERE id > 10;");
        var changed = await MariaDbServer.FingerprintAsync(db);

        await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = db, Table = "orders" });

        var now = await MariaDbServer.FingerprintAsync(db);
        Assert.Equal(original["orders"], now["orders"]);
        Assert.Equal(changed["notes"], now["notes"]);
        Assert.NotEqual(original["notes"], now["notes"]);
        Assert.Contains(harness.Messages, m => m.Contains($"restored {db}.orders", StringComparison.Ordinal));
        await MariaDbServer.ExecuteAsync($"DROP DATABASE {db}");
    }

    [Fact]
    public async Task A_database_restores_under_a_new_name_on_a_server_named_with_to()
    {
        var db = await MariaDbServer.CreateShopAsync("rename");
        var copy = db + "_copy";
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MySqlComponent("db", MariaDbServer.Options(db));
        var snapshot = await harness.BackupAsync("db", component);

        await harness.RestoreAsync(snapshot, "db", component,
            new ComponentRestoreRequest { Database = db, NewName = copy, Target = $"{MariaDbServer.Host}:{MariaDbServer.Port}" });

        Assert.Equal(await MariaDbServer.FingerprintAsync(db), await MariaDbServer.FingerprintAsync(copy));
        Assert.Equal((await MariaDbServer.DefinitionsAsync(db)).Order(), (await MariaDbServer.DefinitionsAsync(copy)).Order());
        // The view in the copy reads the copy's tables, not the original's.
        await MariaDbServer.ExecuteAsync($"DELETE FROM {copy}.orders");
        Assert.Equal(["0"], await MariaDbServer.QueryAsync($"SELECT COUNT(*) FROM {copy}.big_orders"));

        // One table of it under the new name too, into a database that does not exist yet.
        await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = db, Table = "customers", NewName = copy + "2" });
        Assert.Equal((await MariaDbServer.FingerprintAsync(db))["customers"], Assert.Single(await MariaDbServer.FingerprintAsync(copy + "2")).Value);
        await MariaDbServer.ExecuteAsync($"DROP DATABASE {db}; DROP DATABASE {copy}; DROP DATABASE {copy}2;");
    }

    [Fact]
    public async Task Backups_of_unchanged_tables_store_nothing_new_and_a_changed_table_only_itself()
    {
        var db = await MariaDbServer.CreateShopAsync("dedup");
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MySqlComponent("db", MariaDbServer.Options(db));

        var first = (await harness.BackupAsync("db", component)).Components![0];
        var unchanged = (await harness.BackupAsync("db", component)).Components![0];
        await MariaDbServer.ExecuteAsync($"UPDATE {db}.customers SET name = 'one change' WHERE id = 1000");
        var changed = (await harness.BackupAsync("db", component)).Components![0];

        Assert.Equal(SnapshotStatus.Complete, changed.Status);
        Assert.True(first.BytesAdded > 200_000, $"first added {first.BytesAdded}");
        // Only the small trees are new: the dump is byte-identical (--skip-dump-date), so every chunk is known.
        Assert.True(unchanged.BytesAdded < 16_384, $"first added {first.BytesAdded}, the unchanged second {unchanged.BytesAdded}");
        // The customers table's stream is new; orders and notes, in streams of their own, are not stored again.
        Assert.True(changed.BytesAdded < first.BytesAdded / 3, $"first added {first.BytesAdded}, after one change {changed.BytesAdded}");
        await MariaDbServer.ExecuteAsync($"DROP DATABASE {db}");
    }

    [Fact]
    public async Task A_wrong_password_fails_the_snapshot_with_the_servers_words()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MySqlComponent("db", MariaDbServer.Options("cairn_test") with { Password = "wrong" });

        var snapshot = await harness.BackupAsync("db", component);

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("Access denied", snapshot.Components![0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_fails_the_snapshot()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        // Nothing listens on this port: what a stopped server looks like to the client.
        var component = new MySqlComponent("db", MariaDbServer.Options("cairn_test") with { Port = 23399 });

        var snapshot = await harness.BackupAsync("db", component);

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("Can't connect", snapshot.Components![0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_database_fails_the_dump_instead_of_storing_nothing()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var snapshot = await harness.BackupAsync("db", new MySqlComponent("db", MariaDbServer.Options("no_such_database")));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("no_such_database", snapshot.Components![0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_names_what_is_missing_and_refuses_options_that_do_not_apply()
    {
        var db = await MariaDbServer.CreateShopAsync("missing");
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new MySqlComponent("db", MariaDbServer.Options(db));
        var snapshot = await harness.BackupAsync("db", component);
        var original = await MariaDbServer.FingerprintAsync(db);
        await MariaDbServer.ExecuteAsync($"DROP DATABASE {db}");

        var table = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = db, Table = "nope" }));
        Assert.Equal(ExitCode.NotFound, table.ExitCode);
        var database = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Database = "other" }));
        Assert.Equal(ExitCode.NotFound, database.ExitCode);
        var key = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Key = "x" }));
        Assert.Equal(ExitCode.Usage, key.ExitCode);

        // The whole backup (no --database) recreates the dropped database.
        await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest());
        Assert.Equal(original, await MariaDbServer.FingerprintAsync(db));
        await MariaDbServer.ExecuteAsync($"DROP DATABASE {db}");
    }

    [Fact]
    public async Task A_missing_client_tool_names_the_debian_package()
    {
        using var client = new MySqlClient("127.0.0.1", 1, "u", null);
        var command = client.Command("mysqldump-not-installed", []);

        var e = await Assert.ThrowsAsync<ComponentFailedException>(() => ToolRunner.RunCapturingAsync(command, CancellationToken.None));
        Assert.Contains("apt-get install mariadb-client", e.Message, StringComparison.Ordinal);
    }
}
