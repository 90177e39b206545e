namespace Cairn.Storage.Rest;

/// <summary>How to start rclone for an <c>rclone:remote:path</c> location.</summary>
public sealed record RcloneOptions
{
    /// <summary>The location prefix.</summary>
    public const string Prefix = "rclone:";

    /// <summary>What rclone serves, exactly as rclone takes it: "remote:path", ":backend:path" or a local path.</summary>
    public required string Remote { get; init; }

    /// <summary>The rclone program: a name looked up in <see cref="SearchPath"/>, or a path.</summary>
    public string Program { get; init; } = "rclone";

    /// <summary>The directories to look <see cref="Program"/> up in ($PATH syntax); null uses the process's PATH.</summary>
    public string? SearchPath { get; init; }

    /// <summary>Variables set for the child on top of this process's own (RCLONE_CONFIG, RCLONE_* flags, HOME).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>How long rclone may take to finish after its input is closed before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The location for messages: "rclone:" and the remote.</summary>
    public string Location => Prefix + Remote;

    /// <summary>The remote's name in rclone's config ("remote" of "remote:path"); null for a local path or ":backend:" string.</summary>
    public string? RemoteName
    {
        get
        {
            var colon = Remote.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && !Remote[..colon].Contains('/', StringComparison.Ordinal) ? Remote[..colon] : null;
        }
    }

    /// <summary>The full path of <see cref="Program"/>, or null when it is not installed.</summary>
    public string? ResolveProgram() => FindProgram(Program);

    /// <summary>The full path of the program <paramref name="name"/> (a name looked up in <see cref="SearchPath"/>, or a path), or null.</summary>
    internal string? FindProgram(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal)) return File.Exists(name) ? name : null;
        var path = SearchPath ?? System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }

        return null;
    }
}
