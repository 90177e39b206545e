namespace Cairn.Storage.Sftp;

/// <summary>The environment variables the SFTP store reads (documented in README.md, "SFTP").</summary>
public static class SftpEnvironment
{
    /// <summary>A private key file to log in with; when set, ~/.ssh/id_* are not tried.</summary>
    public const string KeyFile = "CAIRN_SFTP_KEY";

    /// <summary>A file whose first line is the passphrase of the key files.</summary>
    public const string KeyPassphraseFile = "CAIRN_SFTP_KEY_PASSPHRASE_FILE";

    /// <summary>A file whose first line is the login password.</summary>
    public const string PasswordFile = "CAIRN_SFTP_PASSWORD_FILE";

    /// <summary>A known_hosts file read before ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts.</summary>
    public const string KnownHostsFile = "CAIRN_SFTP_KNOWN_HOSTS";

    /// <summary>"1" turns host key verification off. Dangerous: anyone between here and the server can impersonate it.</summary>
    public const string InsecureAcceptAnyHostKey = "CAIRN_SFTP_INSECURE_ACCEPT_ANY_HOST_KEY";

    /// <summary>The ssh-agent's socket, as OpenSSH names it.</summary>
    public const string AgentSocket = "SSH_AUTH_SOCK";
}

/// <summary>
/// Everything the SFTP store needs to connect: where, how to log in (paths of key and password files, never their
/// contents, so the record can be printed safely), which known_hosts files to trust, and how to transfer.
/// </summary>
public sealed record SftpStoreOptions
{
    /// <summary>The server and directory.</summary>
    public required SftpLocation Location { get; init; }

    /// <summary>The key file named by <see cref="SftpEnvironment.KeyFile"/>; it must load, or connecting fails.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Key files tried when they exist (~/.ssh/id_ed25519, id_ecdsa, id_rsa); encrypted ones need the passphrase file.</summary>
    public IReadOnlyList<string> DefaultKeyFiles { get; init; } = [];

    /// <summary>A file whose first line decrypts the key files.</summary>
    public string? KeyPassphraseFile { get; init; }

    /// <summary>A file whose first line is the login password.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>The ssh-agent's Unix socket; its keys are offered after the key file.</summary>
    public string? AgentSocket { get; init; }

    /// <summary>known_hosts files, read in order; missing ones are skipped.</summary>
    public IReadOnlyList<string> KnownHostsFiles { get; init; } = [];

    /// <summary>Skip host key verification (only with <see cref="SftpEnvironment.InsecureAcceptAnyHostKey"/>).</summary>
    public bool AcceptAnyHostKey { get; init; }

    /// <summary>Connections (the session pool's size), per-request timeout.</summary>
    public TransferOptions Transfer { get; init; } = new();

    /// <summary>
    /// The options for <paramref name="location"/> as a CLI run gives them: credentials and known_hosts files from
    /// <paramref name="getVariable"/> (the CLI's environment: HOME, USER, SSH_AUTH_SOCK and the CAIRN_SFTP_* variables).
    /// A malformed location raises a <see cref="CairnException"/> with exit code 2.
    /// </summary>
    public static SftpStoreOptions FromEnvironment(string location, TransferOptions transfer, Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        var home = getVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var user = getVariable("USER") ?? getVariable("LOGNAME") ?? Environment.UserName;
        SftpLocation parsed;
        try
        {
            parsed = SftpLocation.Parse(location, user);
        }
        catch (FormatException e)
        {
            throw new CairnException(e.Message, ExitCode.Usage, e);
        }

        var ssh = Path.Combine(home, ".ssh");
        List<string> knownHosts = [Path.Combine(ssh, "known_hosts"), "/etc/ssh/ssh_known_hosts"];
        if (getVariable(SftpEnvironment.KnownHostsFile) is { } extra) knownHosts.Insert(0, extra);
        return new SftpStoreOptions
        {
            Location = parsed,
            KeyFile = getVariable(SftpEnvironment.KeyFile),
            DefaultKeyFiles = [Path.Combine(ssh, "id_ed25519"), Path.Combine(ssh, "id_ecdsa"), Path.Combine(ssh, "id_rsa")],
            KeyPassphraseFile = getVariable(SftpEnvironment.KeyPassphraseFile),
            PasswordFile = getVariable(SftpEnvironment.PasswordFile),
            AgentSocket = getVariable(SftpEnvironment.AgentSocket),
            KnownHostsFiles = knownHosts,
            AcceptAnyHostKey = getVariable(SftpEnvironment.InsecureAcceptAnyHostKey) is "1" or "true" or "yes",
            Transfer = transfer ?? new TransferOptions(),
        };
    }
}
