namespace Cairn.Orchestration.Deploy;

/// <summary>A unit file in a unit directory that Cairn wrote (it starts with <see cref="SystemdUnits.Marker"/>).</summary>
/// <param name="Name">File name, e.g. cairn-platform.timer.</param>
/// <param name="Job">The job it runs.</param>
/// <param name="ConfigPath">The config file it was written from.</param>
/// <param name="OnCalendar">For a timer, its calendar event.</param>
public sealed record ManagedUnit(string Name, string Job, string ConfigPath, string? OnCalendar);

/// <summary>
/// What <see cref="UnitDirectory.Install"/> did, by unit file name; <paramref name="Stale"/> are Cairn's units from the
/// same config whose jobs are no longer scheduled, left for the caller to stop and <see cref="UnitDirectory.Delete"/>.
/// </summary>
public sealed record UnitChanges(IReadOnlyList<string> Written, IReadOnlyList<string> Unchanged, IReadOnlyList<string> Stale);

/// <summary>
/// A systemd unit directory (/etc/systemd/system, ~/.config/systemd/user, or any other): writes Cairn's units into it
/// atomically, and finds and removes them again by their marker line, never touching a unit that someone else wrote.
/// </summary>
public sealed class UnitDirectory(string path)
{
    /// <summary>The directory.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The default directory: /etc/systemd/system, or for --user $XDG_CONFIG_HOME/systemd/user (~/.config/systemd/user).</summary>
    public static string Default(bool user, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (!user) return "/etc/systemd/system";
        var config = variable("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg
            : System.IO.Path.Combine(variable("HOME") ?? throw new CairnException("--user needs $HOME (or $XDG_CONFIG_HOME) to find ~/.config/systemd/user", ExitCode.Usage), ".config");
        return System.IO.Path.Combine(config, "systemd", "user");
    }

    /// <summary>Cairn's units in the directory, by name; an absent directory has none.</summary>
    public IReadOnlyList<ManagedUnit> List()
    {
        if (!Directory.Exists(Path)) return [];
        var units = new List<ManagedUnit>();
        foreach (var file in Directory.EnumerateFiles(Path, "cairn-*").Order(StringComparer.Ordinal))
        {
            if (!file.EndsWith(".service", StringComparison.Ordinal) && !file.EndsWith(".timer", StringComparison.Ordinal)) continue;
            if (Read(file) is { } unit) units.Add(unit);
        }
        return units;
    }

    /// <summary>
    /// Writes <paramref name="units"/> (each atomically: a temporary file renamed over the old one) and finds Cairn's
    /// units written earlier from the same config for jobs that are no longer scheduled. A file of the same name that
    /// Cairn did not write is left alone, and the install refused (exit 2) before anything is written.
    /// </summary>
    public UnitChanges Install(IReadOnlyList<SystemdUnit> units, string configPath)
    {
        ArgumentNullException.ThrowIfNull(units);
        foreach (var unit in units)
        {
            var file = System.IO.Path.Combine(Path, unit.Name);
            if (File.Exists(file) && Read(file) is null)
                throw new CairnException($"{file} exists and was not written by cairn: remove or rename it first (cairn never overwrites it)", ExitCode.Usage);
        }
        Directory.CreateDirectory(Path);
        var written = new List<string>();
        var unchanged = new List<string>();
        foreach (var unit in units)
        {
            var file = System.IO.Path.Combine(Path, unit.Name);
            if (File.Exists(file) && File.ReadAllText(file) == unit.Text)
            {
                unchanged.Add(unit.Name);
                continue;
            }
            var temporary = System.IO.Path.Combine(Path, "." + unit.Name + ".tmp");
            File.WriteAllText(temporary, unit.Text);
            // systemd reads units as any user; a umask of 077 must not make them unreadable.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temporary, file, overwrite: true);
            written.Add(unit.Name);
        }
        var names = units.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var stale = List().Where(u => u.ConfigPath == configPath && !names.Contains(u.Name)).Select(u => u.Name).ToList();
        return new UnitChanges(written, unchanged, stale);
    }

    /// <summary>Cairn's units of <paramref name="job"/> (all of Cairn's when null).</summary>
    public IReadOnlyList<ManagedUnit> Find(string? job) => [.. List().Where(u => job is null || u.Job == job)];

    /// <summary>Deletes the named units, each only if Cairn wrote it.</summary>
    public void Delete(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            var file = System.IO.Path.Combine(Path, System.IO.Path.GetFileName(name));
            if (Read(file) is not null) File.Delete(file);
        }
    }

    private static ManagedUnit? Read(string file)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        if (lines.Length < 3 || lines[0] != SystemdUnits.Marker || !lines[1].StartsWith(SystemdUnits.JobLine, StringComparison.Ordinal)
            || !lines[2].StartsWith(SystemdUnits.ConfigLine, StringComparison.Ordinal))
            return null;
        var calendar = lines.FirstOrDefault(l => l.StartsWith("OnCalendar=", StringComparison.Ordinal))?["OnCalendar=".Length..];
        return new ManagedUnit(System.IO.Path.GetFileName(file), lines[1][SystemdUnits.JobLine.Length..], lines[2][SystemdUnits.ConfigLine.Length..], calendar);
    }
}
