using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Cairn.Components.Sqlite;

/// <summary>SQLite work done through Microsoft.Data.Sqlite: the online backup into a file, and checks of a copy.</summary>
internal static class SqliteCopy
{
    /// <summary>
    /// Copies the live database <paramref name="source"/> into the (empty) file <paramref name="destination"/> with
    /// SQLite's backup API in one step, so the copy is one consistent state even while other connections write; waits
    /// up to <paramref name="busyTimeout"/> for a writer's lock. Returns the SQLite library's version.
    /// </summary>
    public static string Backup(string source, string destination, TimeSpan busyTimeout)
    {
        using var from = Open(source, SqliteOpenMode.ReadWrite);
        Execute(from, "PRAGMA busy_timeout = " + ((long)busyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        using (var to = Open(destination, SqliteOpenMode.ReadWrite))
        {
            from.BackupDatabase(to);
        }
        QuickCheck(destination);
        return from.ServerVersion;
    }

    /// <summary>Fails unless <c>PRAGMA quick_check</c> says the database file (a private copy) is sound.</summary>
    public static void QuickCheck(string path)
    {
        // Read-write although it only reads: a read-only connection to a WAL database cannot remove the -wal and -shm
        // files it creates, which would be left beside the copy.
        using var connection = Open(path, SqliteOpenMode.ReadWrite);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check";
        var result = Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (result != "ok") throw new SqliteException($"quick_check of {path} says: {result}", 11);
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        // No pooling: a pooled connection would keep the file open after we are done, and restore checks for that.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
