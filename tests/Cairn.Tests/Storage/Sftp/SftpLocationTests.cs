using System.Security.Cryptography;
using System.Text;
using Cairn.Storage;
using Cairn.Storage.Sftp;

namespace Cairn.Tests.Storage.Sftp;

/// <summary>Location strings and known_hosts matching, without a server.</summary>
public sealed class SftpLocationTests : IDisposable
{
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var file in _files) File.Delete(file);
    }

    [Theory]
    [InlineData("sftp:alice@backup.example:/srv/repo", "alice", "backup.example", 22, "/srv/repo")]
    [InlineData("sftp:alice@backup.example:2222:/srv/repo/", "alice", "backup.example", 2222, "/srv/repo")]
    [InlineData("sftp:backup.example:/srv/repo", "me", "backup.example", 22, "/srv/repo")]
    [InlineData("sftp:backup.example:repos/web", "me", "backup.example", 22, "repos/web")]
    [InlineData("sftp:backup.example:./2222", "me", "backup.example", 22, "./2222")]
    [InlineData("sftp:svc@corp@10.0.0.5:22:/b@k:up", "svc@corp", "10.0.0.5", 22, "/b@k:up")]
    [InlineData("sftp:bob@[::1]:2200:/r", "bob", "::1", 2200, "/r")]
    [InlineData("sftp://alice@host:2222//srv/repo", "alice", "host", 2222, "/srv/repo")]
    [InlineData("sftp://host/relative", "me", "host", 22, "relative")]
    [InlineData("sftp://alice@[::1]:2222//srv", "alice", "::1", 2222, "/srv")]
    public void Locations_parse_like_restic_with_an_optional_port(string text, string user, string host, int port, string path)
    {
        var location = SftpLocation.Parse(text, "me");

        Assert.Equal(new SftpLocation(user, host, port, path), location);
        Assert.Equal(location, SftpLocation.Parse(location.ToString(), "someone else"));
    }

    [Theory]
    [InlineData("sftp:host")]
    [InlineData("sftp:host:")]
    [InlineData("sftp:alice@host:99999:/r")]
    [InlineData("sftp:@host:/r")]
    [InlineData("sftp://host:22")]
    [InlineData("sftp:[::1:/r")]
    [InlineData("sftp:/")]
    [InlineData("sftp:host:2222")]
    public void Malformed_locations_say_what_form_is_expected(string text)
    {
        var e = Assert.Throws<FormatException>(() => SftpLocation.Parse(text, "me"));
        Assert.Contains("sftp:user@host:/path", e.Message);
    }

    [Fact]
    public void Options_from_the_environment_name_every_credential_source_but_hold_no_secret()
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = "/home/op",
            ["USER"] = "op",
            [SftpEnvironment.KeyFile] = "/keys/backup",
            [SftpEnvironment.KnownHostsFile] = "/etc/cairn/known_hosts",
            [SftpEnvironment.PasswordFile] = "/etc/cairn/sftp-password",
            [SftpEnvironment.AgentSocket] = "/run/agent.sock",
        };

        var options = SftpStoreOptions.FromEnvironment("sftp:nas:/backup", new TransferOptions { Connections = 3 }, n => env.GetValueOrDefault(n));

        Assert.Equal(new SftpLocation("op", "nas", 22, "/backup"), options.Location);
        Assert.Equal("/keys/backup", options.KeyFile);
        Assert.Equal(["/home/op/.ssh/id_ed25519", "/home/op/.ssh/id_ecdsa", "/home/op/.ssh/id_rsa"], options.DefaultKeyFiles);
        Assert.Equal(["/etc/cairn/known_hosts", "/home/op/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts"], options.KnownHostsFiles);
        Assert.Equal("/etc/cairn/sftp-password", options.PasswordFile);
        Assert.Equal("/run/agent.sock", options.AgentSocket);
        Assert.False(options.AcceptAnyHostKey);
        Assert.Equal(3, options.Transfer.Connections);

        env[SftpEnvironment.InsecureAcceptAnyHostKey] = "1";
        Assert.True(SftpStoreOptions.FromEnvironment("sftp:nas:/backup", new TransferOptions(), n => env.GetValueOrDefault(n)).AcceptAnyHostKey);
        var usage = Assert.Throws<CairnException>(() => SftpStoreOptions.FromEnvironment("sftp:nas", new TransferOptions(), n => env.GetValueOrDefault(n)));
        Assert.Equal(ExitCode.Usage, usage.ExitCode);
    }

    [Fact]
    public void Known_hosts_match_plain_hashed_bracketed_wildcard_and_negated_names()
    {
        var key = KeyBlob("ssh-ed25519", 1);
        var other = KeyBlob("ssh-ed25519", 2);
        var rsa = KeyBlob("ssh-rsa", 3);
        var salt = RandomNumberGenerator.GetBytes(20);
        var hashed = $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes("[hashed.example]:2222")))}";
        var file = WriteKnownHosts(
            "# comment",
            "",
            $"plain.example,alias.example ssh-ed25519 {B64(key)} comment here",
            $"{hashed} ssh-ed25519 {B64(key)}",
            $"[ported.example]:2200 ssh-ed25519 {B64(key)}",
            $"*.wild.example,!bad.wild.example ssh-ed25519 {B64(key)}",
            $"rsaonly.example ssh-rsa {B64(rsa)}",
            $"@cert-authority *.example ssh-ed25519 {B64(other)}",
            "garbage line",
            $"mismatched.example ssh-rsa {B64(key)}");
        var hosts = KnownHosts.Load([file, "/nonexistent/known_hosts"]);

        Assert.Equal(HostKeyStatus.Trusted, hosts.Check("plain.example", key).Status);
        Assert.Equal(HostKeyStatus.Trusted, hosts.Check("ALIAS.example", key).Status);
        Assert.Equal(HostKeyStatus.Trusted, hosts.Check("[hashed.example]:2222", key).Status);
        Assert.Equal(HostKeyStatus.Unknown, hosts.Check("hashed.example", key).Status);
        Assert.Equal(HostKeyStatus.Trusted, hosts.Check("[ported.example]:2200", key).Status);
        Assert.Equal(HostKeyStatus.Unknown, hosts.Check("ported.example", key).Status);
        Assert.Equal(HostKeyStatus.Trusted, hosts.Check("a.wild.example", key).Status);
        Assert.Equal(HostKeyStatus.Unknown, hosts.Check("bad.wild.example", key).Status);
        Assert.Equal(HostKeyStatus.Unknown, hosts.Check("mismatched.example", key).Status);

        var changed = hosts.Check("plain.example", other);
        Assert.Equal(HostKeyStatus.Changed, changed.Status);
        Assert.Equal($"{file}:3", changed.Source);
        Assert.Equal(KnownHosts.Fingerprint(other), changed.Fingerprint);
        Assert.StartsWith("SHA256:", changed.Fingerprint);

        var otherType = hosts.Check("rsaonly.example", key);
        Assert.Equal(HostKeyStatus.Unknown, otherType.Status);
        Assert.Equal(["ssh-rsa"], otherType.OtherKnownTypes);
        Assert.Equal(["ssh-rsa"], hosts.KnownKeyTypes("rsaonly.example"));
    }

    [Fact]
    public void A_revoked_key_is_refused_even_where_another_line_trusts_it()
    {
        var key = KeyBlob("ssh-ed25519", 4);
        var file = WriteKnownHosts($"host.example ssh-ed25519 {B64(key)}", $"@revoked * ssh-ed25519 {B64(key)}");

        var verdict = KnownHosts.Load([file]).Check("host.example", key);

        Assert.Equal(HostKeyStatus.Revoked, verdict.Status);
        Assert.Equal($"{file}:2", verdict.Source);
    }

    // A syntactically valid key blob: its type name, then filler standing in for the key material.
    private static byte[] KeyBlob(string type, int seed)
    {
        var name = Encoding.ASCII.GetBytes(type);
        var blob = new byte[4 + name.Length + 36];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, (uint)name.Length);
        name.CopyTo(blob, 4);
        new Random(seed).NextBytes(blob.AsSpan(4 + name.Length));
        return blob;
    }

    private static string B64(byte[] blob) => Convert.ToBase64String(blob);

    private string WriteKnownHosts(params string[] lines)
    {
        var file = Path.Combine(Path.GetTempPath(), "cairn-known-hosts-" + Guid.NewGuid().ToString("N"));
        _files.Add(file);
        File.WriteAllLines(file, lines);
        return file;
    }
}
