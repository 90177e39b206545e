namespace Cairn.Cli;

/// <summary>
/// Which repository a command means, and where its location and password come from: the one it works on (-r,
/// --password-file, $CAIRN_*), or the source of copy and init --from-repository (--from-repo, --from-password-file,
/// $CAIRN_FROM_*). One set of lookup rules serves both; only the names differ.
/// </summary>
internal sealed record RepositoryRole(string Title, string LocationOptionName, string? LocationOption,
    string PasswordFileOptionName, string? PasswordFileOption, string VariablePrefix, bool HasDefault)
{
    /// <summary>The repository a command works on (copy's destination): -r/$CAIRN_REPOSITORY, else the embedded default.</summary>
    public static RepositoryRole Primary(Session session) =>
        new("repository", "-r", session.RepositoryOption, "--password-file", session.PasswordFileOption, "CAIRN_", HasDefault: true);

    /// <summary>The repository copy reads from, or init --from-repository shares the secret of. It has no default.</summary>
    public static RepositoryRole Source(string? location, string? passwordFile, string locationOptionName = "--from-repo") =>
        new("source repository", locationOptionName, location, "--from-password-file", passwordFile, "CAIRN_FROM_", HasDefault: false);

    public string LocationVariable => VariablePrefix + "REPOSITORY";

    public string PasswordVariable => VariablePrefix + "PASSWORD";

    public string PasswordFileVariable => VariablePrefix + "PASSWORD_FILE";

    public string PasswordCommandVariable => VariablePrefix + "PASSWORD_COMMAND";

    /// <summary>False for init --from-repository, which takes the source's location from its option only.</summary>
    public bool ReadsLocationVariable { get; init; } = true;

    /// <summary>"-r/CAIRN_REPOSITORY", for messages that say where the location came from.</summary>
    public string LocationSources => ReadsLocationVariable ? $"{LocationOptionName}/{LocationVariable}" : LocationOptionName;
}
