using Microsoft.Data.Sqlite;

namespace Cairn.Components.Sqlite;

/// <summary>
/// SQLite databases, copied with SQLite's online backup API (never a raw copy of a file in use). The backup API writes
/// to a file, so each database is copied to a private (0600, in a 0700 directory) temporary file, checked, streamed into the repository
/// and deleted: one database's size of local temporary disk is needed. Restore is <see cref="SqliteRestorer"/>.
/// </summary>
public sealed class SqliteComponent(string name, SqliteOptions options) : IComponent
{
    /// <inheritdoc />
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        backup.Manifest.Format = "SQLite database file (online backup API copy)";
        foreach (var path in options.Paths)
        {
            if (!Path.IsPathFullyQualified(path)) throw new ComponentFailedException($"{name}: '{path}' is not an absolute path");
            if (!File.Exists(path)) throw new ComponentFailedException($"{name}: {path}: no such database file");
            // A private directory (0700) for the copy and the journal SQLite may write beside it while copying.
            var tempDirectory = Directory.CreateTempSubdirectory("cairn-sqlite-backup-").FullName;
            var temp = SqliteFiles.CreatePrivateTemp(tempDirectory, "copy");
            try
            {
                string version;
                try
                {
                    version = await Task.Run(() => SqliteCopy.Backup(path, temp, options.BusyTimeout), cancellationToken).ConfigureAwait(false);
                }
                catch (SqliteException e)
                {
                    throw new ComponentFailedException($"{name}: backup of {path} failed: {e.Message}", e);
                }
                backup.Manifest.Tool ??= $"SQLite {version} (online backup API, Microsoft.Data.Sqlite)";
                var copy = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
                StoredStream stored;
                await using (copy.ConfigureAwait(false))
                {
                    stored = await backup.AddStreamAsync(SqliteLayout.FileFor(path), copy, cancellationToken).ConfigureAwait(false);
                }
                backup.Manifest.Details[stored.Path] = path;
                backup.Manifest.Items.Add(path);
                backup.Info($"{name}: {path}: {stored.Size} bytes");
            }
            finally
            {
                Directory.Delete(tempDirectory, recursive: true);
            }
        }
    }

    /// <inheritdoc />
    public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken) =>
        SqliteRestorer.RestoreAsync(name, source, request, cancellationToken);
}
