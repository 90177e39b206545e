using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Cairn.Storage.Sftp;

/// <summary>One logged-in SFTP session and the authentication methods it owns.</summary>
internal sealed class SftpSession(SftpClient client, AuthenticationMethod[] methods) : IDisposable
{
    /// <summary>The connected client.</summary>
    public SftpClient Client { get; } = client;

    /// <summary>True while the TCP connection is known to be open.</summary>
    public bool IsConnected
    {
        get
        {
            try
            {
                return Client.IsConnected;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Client.Dispose();
        }
        catch (Exception e) when (e is SshException or SocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Disposing a session whose connection is already gone has nothing left to clean up.
        }

        foreach (var method in methods.OfType<IDisposable>()) method.Dispose();
    }
}

/// <summary>
/// Opens SFTP sessions: logs in with the store's credentials after checking the server's host key against known_hosts,
/// and turns every way that can fail into the storage error (and exit code) that names its cause.
/// </summary>
internal sealed class SftpConnector : IDisposable
{
    private readonly SftpStoreOptions _options;
    private readonly Lazy<SftpLogin> _login;
    private readonly Lazy<KnownHosts> _knownHosts;

    public SftpConnector(SftpStoreOptions options)
    {
        _options = options;
        _login = new Lazy<SftpLogin>(() => SftpLogin.Load(options), LazyThreadSafetyMode.ExecutionAndPublication);
        _knownHosts = new Lazy<KnownHosts>(() => KnownHosts.Load(options.KnownHostsFiles), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private SftpLocation Location => _options.Location;

    /// <summary>The server as messages name it.</summary>
    public string Server => $"the SFTP server {Location.KnownHostsName}";

    /// <summary>Connects, verifies the host key and logs in.</summary>
    public async Task<SftpSession> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var login = _login.Value;
        var methods = login.CreateMethods(Location.User);
        if (methods.Length == 0)
        {
            throw new StorageException(
                $"no SSH credentials to log in to {Location.KnownHostsName} as {Location.User}: set {SftpEnvironment.KeyFile} to a key file, " +
                $"keep a key in ~/.ssh (id_ed25519, id_ecdsa or id_rsa), run ssh-agent ({SftpEnvironment.AgentSocket}), or set {SftpEnvironment.PasswordFile}",
                isTransient: false, exitCode: ExitCode.StorageAccessDenied);
        }

        var info = new ConnectionInfo(Location.Host, Location.Port, Location.User, methods) { Timeout = _options.Transfer.RequestTimeout };
        if (!_options.AcceptAnyHostKey) PreferKnownHostKeyTypes(info);
        var client = new SftpClient(info)
        {
            OperationTimeout = _options.Transfer.RequestTimeout,
            BufferSize = 64 * 1024,
            // Pooled sessions can sit idle while a backup chunks a large file; keep-alives stop firewalls dropping them.
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        };
        HostKeyVerdict? verdict = null;
        client.HostKeyReceived += (_, e) =>
        {
            if (_options.AcceptAnyHostKey)
            {
                e.CanTrust = true;
                return;
            }

            verdict = _knownHosts.Value.Check(Location.KnownHostsName, e.HostKey);
            e.CanTrust = verdict.Status == HostKeyStatus.Trusted;
        };

        var session = new SftpSession(client, methods);
        try
        {
            await client.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch (Exception e)
        {
            session.Dispose();
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            throw MapConnectError(e, verdict, login);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_login.IsValueCreated) _login.Value.Dispose();
    }

    // As ssh does: when known_hosts lists keys of some types for this host, ask for those first, so a server that also
    // has a newer key type is not reported as unknown.
    private void PreferKnownHostKeyTypes(ConnectionInfo info)
    {
        var position = 0;
        foreach (var type in _knownHosts.Value.KnownKeyTypes(Location.KnownHostsName))
        {
            string[] algorithms = type == "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
            foreach (var algorithm in algorithms.Where(info.HostKeyAlgorithms.ContainsKey))
            {
                info.HostKeyAlgorithms.SetPosition(algorithm, position++);
            }
        }
    }

    private StorageException MapConnectError(Exception e, HostKeyVerdict? verdict, SftpLogin login)
    {
        if (verdict is { Status: not HostKeyStatus.Trusted }) return HostKeyError(verdict, e);
        return e switch
        {
            StorageException storage => storage,
            SshAuthenticationException => new StorageAccessDeniedException($"{Server} (user {Location.User})",
                $"{login.Offered}; check that the server's authorized_keys lists the key, or the password", e),
            SocketException socket => SftpErrors.IsUnreachable(socket)
                ? new StorageUnreachableException(Server, SftpErrors.Describe(socket), inner: e)
                : new StorageException($"the connection to {Server} failed: {socket.Message}", isTransient: true, e),
            SshOperationTimeoutException => new StorageUnreachableException(Server, $"no answer within {_options.Transfer.RequestTimeout.TotalSeconds:0.#}s", inner: e),
            _ => new StorageException($"the SSH connection to {Server} failed: {e.Message}", isTransient: true, e),
        };
    }

    private StorageException HostKeyError(HostKeyVerdict verdict, Exception inner)
    {
        var name = Location.KnownHostsName;
        var key = $"{verdict.KeyType} {verdict.Fingerprint}";
        var message = verdict.Status switch
        {
            HostKeyStatus.Changed =>
                $"DANGER: the host key of {name} has CHANGED: it presented {key}, but {verdict.Source} lists another {verdict.KeyType} key. " +
                "Someone may be intercepting the connection, or the server was reinstalled. Refusing to connect; if the change is expected, " +
                $"remove the old key with 'ssh-keygen -R \"{name}\" -f {SourceFile(verdict.Source)}' and add the new one",
            HostKeyStatus.Revoked =>
                $"DANGER: the host key of {name} ({key}) is marked @revoked in {verdict.Source}: refusing to connect",
            _ =>
                $"the host key of {name} is not known: {key}" +
                (verdict.OtherKnownTypes.Count > 0 ? $" (known_hosts lists only {string.Join(", ", verdict.OtherKnownTypes)} keys for it)" : "") +
                ". If that is the server's fingerprint (check on the server: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), add it with " +
                $"'ssh-keyscan{(Location.Port == SftpLocation.DefaultPort ? "" : $" -p {Location.Port}")} -t {ScanType(verdict.KeyType)} {Location.Host} >> ~/.ssh/known_hosts', " +
                $"or name a known_hosts file in {SftpEnvironment.KnownHostsFile}",
        };
        return new StorageException(message, isTransient: false, inner, ExitCode.StorageAccessDenied);
    }

    private static string SourceFile(string? source) => source is null ? "~/.ssh/known_hosts" : source[..source.LastIndexOf(':')];

    // ssh-keyscan -t names types by their short form.
    private static string ScanType(string keyType) => keyType switch
    {
        "ssh-ed25519" => "ed25519",
        "ssh-rsa" => "rsa",
        _ when keyType.StartsWith("ecdsa-", StringComparison.Ordinal) => "ecdsa",
        _ => keyType,
    };
}
