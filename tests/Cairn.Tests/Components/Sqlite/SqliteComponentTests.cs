using Cairn.Components;
using Cairn.Components.Sqlite;
using Cairn.Snapshots;
using Microsoft.Data.Sqlite;

namespace Cairn.Tests.Components.Sqlite;

public sealed class SqliteComponentTests
{
    private static SqliteConnection Open(string path)
    {
        // No pooling: a pooled connection would keep the file open after Dispose, and restore refuses open files.
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        return connection;
    }

    private static string Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // Count and a digest of every row in order: equal fingerprints, equal data.
    private static string Fingerprint(string path)
    {
        using var c = Open(path);
        return Scalar(c, "SELECT count(*) || ':' || group_concat(id || '=' || body, '|') FROM (SELECT * FROM items ORDER BY id)");
    }

    private static string CreateDatabase(string directory, string journalMode, int rows = 2000)
    {
        var path = Path.Combine(directory, "app.db");
        using var c = Open(path);
        Execute(c, $"PRAGMA journal_mode = {journalMode}; CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL);");
        Execute(c, $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) INSERT INTO items SELECT i, 'item ' || i || ' ' || hex(randomblob(40)) FROM n");
        return path;
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("wal")]
    public async Task A_backup_taken_while_a_writer_holds_an_open_transaction_restores_the_committed_state(string journalMode)
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var path = CreateDatabase(harness.Root, journalMode);
        var committed = Fingerprint(path);
        var component = new SqliteComponent("app", new SqliteOptions { Paths = [path] });

        Snapshot snapshot;
        using (var writer = Open(path))
        {
            // A write transaction left open (RESERVED lock, uncommitted rows) while the backup runs.
            Execute(writer, "BEGIN IMMEDIATE; DELETE FROM items WHERE id <= 100; INSERT INTO items VALUES (5000, 'uncommitted');");
            snapshot = await harness.BackupAsync("app", component);
            Execute(writer, "ROLLBACK");
        }
        var recorded = Assert.Single(snapshot.Components);
        Assert.True(snapshot.Status == SnapshotStatus.Complete, recorded.Error);
        Assert.StartsWith("SQLite 3.", recorded.Tool, StringComparison.Ordinal);
        Assert.Equal([path], recorded.Items);
        Assert.Equal(path, recorded.Details!["databases/" + path.TrimStart('/')]);
        // No temporary copy is left behind.
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetTempPath(), "cairn-sqlite-backup-*"));

        using (var c = Open(path)) Execute(c, "DELETE FROM items WHERE id % 2 = 0");
        Assert.NotEqual(committed, Fingerprint(path));
        await harness.RestoreAsync(snapshot, "app", component, new ComponentRestoreRequest());
        Assert.Equal(committed, Fingerprint(path));
        using (var c = Open(path)) Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task A_backup_during_steady_writes_is_one_consistent_state()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var path = CreateDatabase(harness.Root, "wal", rows: 20_000);
        using var stop = new CancellationTokenSource();
        // Each transaction moves one row from "a" to "b" as a delete plus an insert: a torn copy would miss or double rows.
        var writes = Task.Run(() =>
        {
            using var writer = Open(path);
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                n++;
                Execute(writer, $"BEGIN; DELETE FROM items WHERE id = {n}; INSERT INTO items VALUES ({100_000 + n}, 'moved {n}'); COMMIT;");
            }
            return n;
        });
        await Task.Delay(100);
        var snapshot = await harness.BackupAsync("app", new SqliteComponent("app", new SqliteOptions { Paths = [path] }));
        await stop.CancelAsync();
        var moved = await writes;
        Assert.True(snapshot.Status == SnapshotStatus.Complete, snapshot.Components[0].Error);

        var copy = Path.Combine(harness.Root, "copy", "app.db");
        await harness.RestoreAsync(snapshot, "app", new SqliteComponent("app", new SqliteOptions { Paths = [path] }), new ComponentRestoreRequest { Target = copy });
        using var c = Open(copy);
        Assert.Equal("ok", Scalar(c, "PRAGMA integrity_check"));
        Assert.Equal("20000", Scalar(c, "SELECT count(*) FROM items"));
        var movedInCopy = int.Parse(Scalar(c, "SELECT count(*) FROM items WHERE id > 100000"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(movedInCopy, 0, moved);
        Assert.Equal(movedInCopy.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(c, "SELECT 20000 - count(*) FROM items WHERE id <= 20000"));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Restore_refuses_a_database_that_is_open_and_keeps_owner_and_mode_otherwise()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var path = CreateDatabase(harness.Root, "delete");
        var component = new SqliteComponent("app", new SqliteOptions { Paths = [path] });
        var snapshot = await harness.BackupAsync("app", component);
        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        using (var c = Open(path)) Execute(c, "DELETE FROM items");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        using (var holder = Open(path))
        {
            Assert.Equal("0", Scalar(holder, "SELECT count(*) FROM items"));
            var refused = await Assert.ThrowsAsync<ComponentFailedException>(() =>
                harness.RestoreAsync(snapshot, "app", component, new ComponentRestoreRequest()));
            Assert.Contains($"is open in process {Environment.ProcessId}", refused.Message, StringComparison.Ordinal);
        }
        using (var c = Open(path)) Assert.Equal("0", Scalar(c, "SELECT count(*) FROM items"));

        await harness.RestoreAsync(snapshot, "app", component, new ComponentRestoreRequest { Database = "app.db" });
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        using (var c = Open(path)) Assert.Equal("2000", Scalar(c, "SELECT count(*) FROM items"));
        Assert.Empty(Directory.GetFiles(harness.Root, ".app.db.cairn-restore*"));
    }

    [Fact]
    public async Task A_missing_file_or_a_file_that_is_no_database_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var missing = await harness.BackupAsync("app", new SqliteComponent("app", new SqliteOptions { Paths = [Path.Combine(harness.Root, "nosuch.db")] }));
        Assert.Equal(SnapshotStatus.Failed, missing.Status);
        Assert.Contains("no such database file", missing.Components[0].Error, StringComparison.Ordinal);

        var text = Path.Combine(harness.Root, "text.db");
        await File.WriteAllTextAsync(text, new string('x', 10_000));
        var garbage = await harness.BackupAsync("app", new SqliteComponent("app", new SqliteOptions { Paths = [text] }));
        Assert.Equal(SnapshotStatus.Failed, garbage.Status);
        Assert.Contains("file is not a database", garbage.Components[0].Error, StringComparison.Ordinal);
    }
}
