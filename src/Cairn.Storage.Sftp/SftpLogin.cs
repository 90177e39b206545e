using System.Security.Cryptography;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Cairn.Storage.Sftp;

/// <summary>
/// The credentials one store logs in with, loaded once: key files (decrypted in memory), the agent's keys, a password.
/// Each connection gets fresh authentication methods from them, because SSH.NET's methods keep per-login state.
/// </summary>
internal sealed class SftpLogin : IDisposable
{
    private readonly List<IPrivateKeySource> _keys;
    private readonly byte[]? _password;

    private SftpLogin(List<IPrivateKeySource> keys, byte[]? password, string offered)
    {
        _keys = keys;
        _password = password;
        Offered = offered;
    }

    /// <summary>What was offered to the server, for the "refused" message (names and counts, never secrets).</summary>
    public string Offered { get; }

    /// <summary>Reads the key and password files and asks the agent for its keys.</summary>
    public static SftpLogin Load(SftpStoreOptions options)
    {
        List<IPrivateKeySource> keys = [];
        List<string> offered = [];
        List<string> skipped = [];
        var passphrase = options.KeyPassphraseFile is { } passphraseFile
            ? FirstLine(passphraseFile, SftpEnvironment.KeyPassphraseFile)
            : null;

        if (options.KeyFile is { } keyFile)
        {
            keys.Add(LoadExplicitKey(keyFile, passphrase));
            offered.Add($"the key {keyFile} ({SftpEnvironment.KeyFile})");
        }

        if (options.AgentSocket is { } socket)
        {
            var agentKeys = new SshAgent(socket).LoadKeySources();
            keys.AddRange(agentKeys);
            if (agentKeys.Count > 0) offered.Add($"{agentKeys.Count} key(s) of the ssh-agent ({SftpEnvironment.AgentSocket})");
        }

        if (options.KeyFile is null)
        {
            foreach (var file in options.DefaultKeyFiles.Where(File.Exists))
            {
                if (TryLoadDefaultKey(file, passphrase) is { } key)
                {
                    keys.Add(key);
                    offered.Add($"the key {file}");
                }
                else
                {
                    skipped.Add(file);
                }
            }
        }

        byte[]? password = null;
        if (options.PasswordFile is { } passwordFile)
        {
            password = Encoding.UTF8.GetBytes(FirstLine(passwordFile, SftpEnvironment.PasswordFile));
            offered.Add($"the password in {passwordFile} ({SftpEnvironment.PasswordFile})");
        }

        var text = offered.Count == 0
            ? "no credentials were found"
            : "offered " + string.Join(", ", offered);
        if (skipped.Count > 0)
            text += $"; skipped {string.Join(", ", skipped)} (encrypted or unreadable: set {SftpEnvironment.KeyPassphraseFile} or load it into ssh-agent)";
        return new SftpLogin(keys, password, text);
    }

    /// <summary>Fresh authentication methods for one connection as <paramref name="user"/>; empty when there are no credentials.</summary>
    public AuthenticationMethod[] CreateMethods(string user)
    {
        List<AuthenticationMethod> methods = [];
        if (_keys.Count > 0) methods.Add(new PrivateKeyAuthenticationMethod(user, [.. _keys]));
        if (_password is not null) methods.Add(new PasswordAuthenticationMethod(user, _password));
        return [.. methods];
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var key in _keys.OfType<IDisposable>()) key.Dispose();
        if (_password is not null) CryptographicOperations.ZeroMemory(_password);
    }

    private static PrivateKeyFile LoadExplicitKey(string file, string? passphrase)
    {
        if (!File.Exists(file))
            throw new CairnException($"the SSH key file {file} named by {SftpEnvironment.KeyFile} does not exist", ExitCode.Usage);
        try
        {
            return new PrivateKeyFile(file, passphrase);
        }
        catch (SshPassPhraseNullOrEmptyException e)
        {
            throw Refused($"the SSH key {file} is encrypted: name a file holding its passphrase in {SftpEnvironment.KeyPassphraseFile}, or load the key into ssh-agent and unset {SftpEnvironment.KeyFile}", e);
        }
        catch (Exception e) when (e is SshException or CryptographicException or InvalidOperationException or ArgumentException or FormatException)
        {
            // SSH.NET reports a wrong passphrase as a garbled key, so both get the same advice.
            throw Refused($"cannot use the SSH key {file}: {e.Message} (a wrong passphrase in {SftpEnvironment.KeyPassphraseFile}, or a key format SSH.NET does not read)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read the SSH key file {file}: {e.Message}", ExitCode.Usage, e);
        }
    }

    // ~/.ssh keys are tried like ssh does: one that cannot be used is passed over, and named if the login fails.
    private static PrivateKeyFile? TryLoadDefaultKey(string file, string? passphrase)
    {
        try
        {
            return new PrivateKeyFile(file, passphrase);
        }
        catch (Exception e) when (e is SshException or CryptographicException or InvalidOperationException or ArgumentException
                                      or FormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string FirstLine(string file, string variable)
    {
        try
        {
            using var reader = new StreamReader(file);
            return reader.ReadLine() ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read {file} (named by {variable}): {e.Message}", ExitCode.Usage, e);
        }
    }

    private static StorageException Refused(string message, Exception inner) =>
        new(message, isTransient: false, inner, ExitCode.StorageAccessDenied);
}
