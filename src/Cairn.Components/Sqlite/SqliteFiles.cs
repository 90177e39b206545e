namespace Cairn.Components.Sqlite;

/// <summary>Files the sqlite component makes and checks: private temporaries, and who holds a database open.</summary>
internal static class SqliteFiles
{
    /// <summary>Creates an empty file only this user can read (0600) in <paramref name="directory"/> and returns its path.</summary>
    public static string CreatePrivateTemp(string directory, string prefix)
    {
        var path = Path.Combine(directory, $"{prefix}-{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        new FileStream(path, options).Dispose();
        return path;
    }

    /// <summary>
    /// The ids of processes (this one included) that have <paramref name="path"/> open, from Linux's /proc/PID/fd; empty
    /// where there is no /proc. Processes whose descriptors this user may not read are not seen (run as root to see all).
    /// </summary>
    public static IReadOnlyList<int> Holders(string path)
    {
        if (!Directory.Exists("/proc/self/fd")) return [];
        var full = Path.GetFullPath(path);
        var resolved = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        var holders = new List<int>();
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out var pid)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(process + "/fd"))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target == full || target == resolved)
                    {
                        holders.Add(pid);
                        break;
                    }
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Gone meanwhile, or not ours to look at.
            }
        }
        return holders;
    }
}
