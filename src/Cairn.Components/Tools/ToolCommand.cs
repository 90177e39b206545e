namespace Cairn.Components.Tools;

/// <summary>
/// One run of an external dump or restore tool (pg_dump, mysqldump, redis-cli, etcdctl, …). Arguments are passed as a
/// list (no shell), and secrets only through <see cref="Environment"/> or files, so they never show in <c>ps</c>.
/// </summary>
public sealed record ToolCommand
{
    /// <summary>The program, found on PATH unless it contains a '/'.</summary>
    public required string Program { get; init; }

    /// <summary>The arguments, each passed as is.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Variables added to the tool's environment (PGPASSWORD, MYSQL_PWD, REDISCLI_AUTH, …).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The Debian package that provides <see cref="Program"/>, named in the "not installed" message.</summary>
    public required string DebianPackage { get; init; }

    /// <summary>
    /// Where to get the tool when the Debian package named in <see cref="DebianPackage"/> is not in Debian itself (MongoDB's
    /// database tools come from MongoDB's own repository); null for the usual "apt-get install" advice.
    /// </summary>
    public string? InstallHint { get; init; }

    /// <summary>The working directory, or null for the current one.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Whether a line the tool wrote on stderr means failure even when it exits 0. The default treats lines containing
    /// "error" or "fatal" (any case) as failures; tools known to print harmless notices can narrow it.
    /// </summary>
    public Func<string, bool> IsErrorLine { get; init; } = DefaultIsErrorLine;

    /// <summary>The default <see cref="IsErrorLine"/>.</summary>
    public static bool DefaultIsErrorLine(string line) =>
        line.Contains("error", StringComparison.OrdinalIgnoreCase) || line.Contains("fatal", StringComparison.OrdinalIgnoreCase);

    /// <summary>The command as a person would type it (no secrets are in it by construction), for messages.</summary>
    public override string ToString() =>
        string.Join(' ', new[] { Program }.Concat(Arguments).Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@+%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
}
