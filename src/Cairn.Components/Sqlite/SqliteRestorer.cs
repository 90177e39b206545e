using Cairn.Platform;
using Microsoft.Data.Sqlite;

namespace Cairn.Components.Sqlite;

/// <summary>
/// Puts SQLite databases back, each atomically: the stored copy is written to a temporary file beside the target,
/// checked (<c>PRAGMA quick_check</c>), given the replaced file's owner and mode, and renamed over the target. A target
/// that a process holds open is refused, since replacing it under a running application corrupts what it writes next.
/// </summary>
internal static class SqliteRestorer
{
    public static async Task RestoreAsync(string name, IComponentRestore source, ComponentRestoreRequest request, CancellationToken ct)
    {
        if (request.Schema is not null || request.Table is not null || request.Key is not null || request.NewName is not null)
            throw new CairnException("a sqlite component restores whole database files: use --database PATH and --to PATH (not --schema, --table, --key or --as)", ExitCode.Usage);
        var stored = SqliteLayout.Databases(source.Recorded.Details, source.Files);
        var chosen = request.Database is { } wanted
            ? [.. stored.Where(d => d.Path == wanted || Path.GetFileName(d.Path) == wanted)]
            : stored;
        if (chosen.Count == 0)
            throw new CairnException($"component {source.ComponentName} holds no database {request.Database} (it holds: {string.Join(", ", stored.Select(d => d.Path))})", ExitCode.NotFound);
        if (request.Database is not null && chosen.Count > 1)
            throw new CairnException($"--database {request.Database} names several databases ({string.Join(", ", chosen.Select(d => d.Path))}): give the full path", ExitCode.Usage);

        foreach (var (path, file) in chosen)
        {
            // --to is the new file for one database, or a directory that receives every database under its original path.
            var target = request.Target is not { } to ? path
                : chosen.Count == 1 ? Path.GetFullPath(to)
                : Path.Combine(Path.GetFullPath(to), path.TrimStart('/'));
            await RestoreOneAsync(name, source, file, target, ct).ConfigureAwait(false);
            source.Info($"{name}: {path} restored to {target}");
        }
    }

    private static async Task RestoreOneAsync(string name, IComponentRestore source, string file, string target, CancellationToken ct)
    {
        RefuseIfOpen(name, target);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temp = SqliteFiles.CreatePrivateTemp(directory, "." + Path.GetFileName(target) + ".cairn-restore");
        try
        {
            var input = source.Open(file);
            await using (input.ConfigureAwait(false))
            {
                var output = new FileStream(temp, FileMode.Truncate, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
                await using (output.ConfigureAwait(false))
                {
                    await input.CopyToAsync(output, ct).ConfigureAwait(false);
                    output.Flush(flushToDisk: true);
                }
            }
            try
            {
                SqliteCopy.QuickCheck(temp);
            }
            catch (SqliteException e)
            {
                throw new ComponentFailedException($"{name}: the stored copy of {target} is not a sound database: {e.Message}", e);
            }
            KeepOwnerAndMode(target, temp);
            // Checked again: the check and the copy took time. Then the old database's journals go, since SQLite would
            // replay them into the new file (a hot journal or WAL belongs to the file it was written for).
            RefuseIfOpen(name, target);
            foreach (var suffix in new[] { "-wal", "-shm", "-journal" }) File.Delete(target + suffix);
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static void RefuseIfOpen(string name, string target)
    {
        if (!File.Exists(target)) return;
        var holders = SqliteFiles.Holders(target);
        if (holders.Count > 0)
            throw new ComponentFailedException(
                $"{name}: {target} is open in process {string.Join(", ", holders)}: stop the application first, or restore elsewhere with --to PATH");
    }

    private static void KeepOwnerAndMode(string target, string temp)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(target)) return;
        using var parent = DirectoryHandle.OpenParent(PathBytes.FromString(target), out var targetName);
        var status = parent.Stat(targetName);
        var tempName = PathBytes.FromString(Path.GetFileName(temp));
        if (Environment.IsPrivilegedProcess) parent.SetOwner(tempName, status.Uid, status.Gid);
        parent.SetMode(tempName, status.Mode);
    }
}
