using Cairn.Storage;
using Cairn.Storage.Sftp;

namespace Cairn.Tests.Storage.Sftp;

/// <summary>
/// The private OpenSSH server that tests/servers/sshd.sh starts on loopback, as its CAIRN_TEST_SFTP_* variables
/// describe it. The server runs on this machine, so tests also look at and clean up its files directly.
/// </summary>
internal static class SftpTestServer
{
    public static string Host => Variable("CAIRN_TEST_SFTP_HOST");

    public static int Port => int.Parse(Variable("CAIRN_TEST_SFTP_PORT"), System.Globalization.CultureInfo.InvariantCulture);

    public static string User => Variable("CAIRN_TEST_SFTP_USER");

    public static string KeyFile => Variable("CAIRN_TEST_SFTP_KEY");

    public static string KnownHostsFile => Variable("CAIRN_TEST_SFTP_KNOWN_HOSTS");

    /// <summary>The config of the shared server, to start private instances from.</summary>
    public static string SshdConfig => Variable("CAIRN_TEST_SFTP_SSHD_CONFIG");

    /// <summary>The host's public key line ("ssh-ed25519 AAAA… comment").</summary>
    public static string HostPublicKey => File.ReadAllText(Path.Combine(Path.GetDirectoryName(SshdConfig)!, "host_ed25519_key.pub")).Trim();

    /// <summary>A new, not yet existing directory under the server's base directory, removed by <see cref="Remove"/>.</summary>
    public static string NewDirectory(string purpose) =>
        Path.Combine(Variable("CAIRN_TEST_SFTP_BASE"), $"{purpose}-{Guid.NewGuid():N}");

    /// <summary>The location string of <paramref name="directory"/> on the shared server.</summary>
    public static string Location(string directory, int? port = null) => $"sftp:{User}@{Host}:{port ?? Port}:{directory}";

    /// <summary>Options that log in with the test key and trust the test known_hosts; short timeouts keep failures fast.</summary>
    public static SftpStoreOptions Options(string directory, int? port = null) => new()
    {
        Location = new SftpLocation(User, Host, port ?? Port, directory),
        KeyFile = KeyFile,
        KnownHostsFiles = [KnownHostsFile],
        Transfer = new TransferOptions { Connections = 4, RequestTimeout = TimeSpan.FromSeconds(20) },
    };

    /// <summary>The variables a CLI run needs to reach <paramref name="directory"/> on the server with the test key.</summary>
    public static void Configure(Dictionary<string, string?> env, string directory, int? port = null)
    {
        env["CAIRN_REPOSITORY"] = Location(directory, port);
        env[SftpEnvironment.KeyFile] = KeyFile;
        env[SftpEnvironment.KnownHostsFile] = KnownHostsFile;
    }

    public static void Remove(string directory)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    public static string Variable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run ./test.sh (it starts the servers), or source tests/servers/sshd.sh");
}

/// <summary>The SFTP store against the loopback OpenSSH server, each test in a fresh directory.</summary>
public sealed class SftpBlobStoreConformanceTests : BlobStoreConformanceTests
{
    private readonly string _directory = SftpTestServer.NewDirectory("conformance");

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        var store = new SftpBlobStore(SftpTestServer.Options(_directory));
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        return store;
    }

    protected override Task CleanupAsync()
    {
        SftpTestServer.Remove(_directory);
        return Task.CompletedTask;
    }
}
