namespace Cairn.Components.Redis;

/// <summary>
/// Puts a stored RDB file into a stopped server's data directory: written beside its final name, flushed, then renamed
/// over it, so the directory holds the old file or the new one and never half of one. Refuses a directory a running
/// redis-server uses: that server would write its own dataset over the file when it next saves or shuts down.
/// </summary>
internal static class RdbDirectoryRestore
{
    /// <summary>Writes <paramref name="rdb"/> as <paramref name="fileName"/> in <paramref name="directory"/> (created if missing).</summary>
    public static async Task<string> WriteAsync(Stream rdb, string directory, string fileName, CancellationToken cancellationToken)
    {
        if (fileName.Contains('/', StringComparison.Ordinal) || fileName is "." or "..")
            throw new CairnException($"--as '{fileName}': give a file name (the dbfilename of the server), not a path", ExitCode.Usage);
        var full = Path.GetFullPath(directory);
        if (RunningServerOn(full) is { } pid)
            throw new CairnException($"a redis-server (pid {pid}) is running on {full}: stop it before restoring its data directory, or restore into it with a logical restore (--to host:port)", ExitCode.Failure);
        Directory.CreateDirectory(full);
        var final = Path.Combine(full, fileName);
        var temporary = Path.Combine(full, "." + fileName + ".cairn-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await rdb.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
        return final;
    }

    /// <summary>
    /// The pid of a redis-server whose working directory is <paramref name="directory"/>, or null. redis-server changes
    /// into its configured <c>dir</c> at startup, so its cwd in /proc is its data directory. Processes of other users
    /// that cannot be inspected are not seen (run the restore as root or as the redis user).
    /// </summary>
    public static int? RunningServerOn(string directory)
    {
        if (!Directory.Exists("/proc")) return null;
        var wanted = Path.TrimEndingDirectorySeparator(directory);
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid)) continue;
            try
            {
                if (!File.ReadAllText(Path.Combine(entry, "comm")).StartsWith("redis-server", StringComparison.Ordinal)) continue;
                var cwd = new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget;
                if (cwd is not null && Path.TrimEndingDirectorySeparator(cwd) == wanted) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }
}
