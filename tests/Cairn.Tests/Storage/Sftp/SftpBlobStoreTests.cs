using System.Diagnostics;
using Cairn.Storage;
using Cairn.Storage.Sftp;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Storage.Sftp;

/// <summary>What the SFTP store promises beyond the shared contract: atomic puts, logins, host keys, errors, reconnects.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SftpBlobStoreTests : IDisposable
{
    private readonly string _directory = SftpTestServer.NewDirectory("store");
    private readonly string _scratch = Directory.CreateTempSubdirectory("cairn-sftp-").FullName;

    public void Dispose()
    {
        SftpTestServer.Remove(_directory);
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task A_put_goes_through_a_temp_file_readers_never_see_partially()
    {
        await using var store = new SftpBlobStore(SftpTestServer.Options(_directory));
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        var name = new BlobName(BlobKind.Pack, "ab" + new string('1', 62));
        var data = CliHarness.RandomBytes(24 << 20, 3);
        var folder = Path.Combine(_directory, "data", "ab");

        var put = store.PutAsync(name, data);
        var sawTemp = false;
        var reads = 0;
        while (!put.IsCompleted)
        {
            sawTemp |= Directory.Exists(folder) && Directory.GetFiles(folder, ".tmp-*").Length > 0;
            // The final name either does not exist yet or holds every byte.
            var final = Path.Combine(folder, name.Name);
            if (File.Exists(final)) Assert.Equal(data.Length, new FileInfo(final).Length);
            // Every stat started during the upload counts: it must find nothing or the whole blob. (Counting only the
            // "not found" answers made the test fail when one stat outlasted the rest of a fast upload.)
            reads++;
            try
            {
                Assert.Equal(data.Length, (await store.StatAsync(name)).Length);
            }
            catch (BlobNotFoundException)
            {
            }
        }

        await put;
        Assert.True(sawTemp, "the upload never showed a temporary file next to the final name");
        Assert.True(reads > 0, "no read ran while the upload was in progress");
        Assert.Equal(data, await store.GetAsync(name));
        Assert.Equal([name.Name], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_missing_directory_is_no_repository_until_it_is_created()
    {
        var nested = Path.Combine(_directory, "a", "b");
        await using var store = new SftpBlobStore(SftpTestServer.Options(nested));

        var e = await Assert.ThrowsAsync<StorageLocationNotFoundException>(() => store.StatAsync(BlobName.Config));
        Assert.Equal(ExitCode.RepositoryNotFound, e.ExitCode);
        Assert.Contains(nested, e.Message);
        Assert.Contains("cairn init", e.Message);
        await Assert.ThrowsAsync<StorageLocationNotFoundException>(() => store.PutAsync(BlobName.Config, new byte[3]));
        Assert.False(Directory.Exists(nested));

        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        await store.PutAsync(BlobName.Config, new byte[3]);
        Assert.True(File.Exists(Path.Combine(nested, "config")));
    }

    [Fact]
    public async Task Abandoned_temp_files_older_than_the_limit_are_deleted()
    {
        await using var store = new SftpBlobStore(SftpTestServer.Options(_directory));
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        var pack = new BlobName(BlobKind.Pack, "cd" + new string('2', 62));
        await store.PutAsync(pack, new byte[50]);
        var old = DateTime.UtcNow - TimeSpan.FromHours(3);
        string[] abandoned = [".tmp-1", "index/.tmp-2", "data/cd/.tmp-3", "data/.tmp-4"];
        foreach (var (file, i) in abandoned.Select((f, i) => (f, i)))
        {
            var path = Path.Combine(_directory, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[100 * (i + 1)]);
            File.SetLastWriteTimeUtc(path, old);
        }

        var young = Path.Combine(_directory, "data", "cd", ".tmp-young");
        File.WriteAllBytes(young, new byte[7]);

        var removed = await store.DeleteAbandonedWritesAsync(TimeSpan.FromHours(1), CancellationToken.None);

        Assert.Equal(new AbandonedWrites(4, 1000), removed);
        Assert.All(abandoned, f => Assert.False(File.Exists(Path.Combine(_directory, f))));
        Assert.True(File.Exists(young));
        Assert.Equal(50, (await store.StatAsync(pack)).Length);
    }

    [Fact]
    public async Task A_key_the_server_does_not_know_is_refused_with_exit_code_19()
    {
        var otherKey = Path.Combine(_scratch, "other");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey);
        await using var store = new SftpBlobStore(SftpTestServer.Options(_directory) with { KeyFile = otherKey });

        var e = await Assert.ThrowsAsync<StorageAccessDeniedException>(() => store.StatAsync(BlobName.Config));

        Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
        Assert.False(e.IsTransient);
        Assert.Contains(otherKey, e.Message);
        Assert.DoesNotContain("PRIVATE KEY", e.Message);
    }

    [Fact]
    public async Task An_encrypted_key_needs_its_passphrase_file()
    {
        var encrypted = Path.Combine(_scratch, "encrypted");
        File.Copy(SftpTestServer.KeyFile, encrypted);
        File.SetUnixFileMode(encrypted, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Run("ssh-keygen", "-q", "-p", "-P", "", "-N", "s3cret phrase", "-f", encrypted);
        var passphrase = Path.Combine(_scratch, "passphrase");
        File.WriteAllText(passphrase, "s3cret phrase\n");
        var options = SftpTestServer.Options(_directory) with { KeyFile = encrypted };

        await using (var without = new SftpBlobStore(options))
        {
            var e = await Assert.ThrowsAnyAsync<StorageException>(() => without.StatAsync(BlobName.Config));
            Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
            Assert.Contains(SftpEnvironment.KeyPassphraseFile, e.Message);
        }

        await using var with = new SftpBlobStore(options with { KeyPassphraseFile = passphrase });
        await with.CreateContainerIfMissingAsync(CancellationToken.None);
        await with.PutAsync(BlobName.Config, new byte[5]);
        Assert.Equal(5, (await with.StatAsync(BlobName.Config)).Length);
    }

    [Fact]
    public async Task The_ssh_agent_logs_in_with_a_key_it_holds()
    {
        var socket = Path.Combine(_scratch, "agent.sock");
        using var agent = Process.Start(new ProcessStartInfo("ssh-agent", ["-D", "-a", socket]) { RedirectStandardOutput = true })!;
        try
        {
            WaitFor(() => File.Exists(socket));
            var add = new ProcessStartInfo("ssh-add", ["-q", SftpTestServer.KeyFile]) { RedirectStandardError = true };
            add.Environment["SSH_AUTH_SOCK"] = socket;
            Run(add);
            var options = SftpTestServer.Options(_directory) with { KeyFile = null, AgentSocket = socket };

            await using var store = new SftpBlobStore(options);
            await store.CreateContainerIfMissingAsync(CancellationToken.None);
            await store.PutAsync(BlobName.Config, new byte[9]);
            Assert.Equal(9, (await store.StatAsync(BlobName.Config)).Length);

            // An agent without keys, and nothing else: no credentials at all.
            var delete = new ProcessStartInfo("ssh-add", ["-D"]) { RedirectStandardError = true };
            delete.Environment["SSH_AUTH_SOCK"] = socket;
            Run(delete);
            await using var empty = new SftpBlobStore(options);
            var e = await Assert.ThrowsAnyAsync<StorageException>(() => empty.StatAsync(BlobName.Config));
            Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
            Assert.Contains("no SSH credentials", e.Message);
        }
        finally
        {
            agent.Kill();
        }
    }

    [Fact]
    public async Task A_password_file_logs_in_and_a_wrong_password_is_refused()
    {
        var user = SftpTestServer.Variable("CAIRN_TEST_SFTP_PASSWORD_USER");
        var directory = Path.Combine(SftpTestServer.Variable("CAIRN_TEST_SFTP_PASSWORD_BASE"), Guid.NewGuid().ToString("N"), "repo");
        var options = SftpTestServer.Options(directory) with
        {
            Location = new SftpLocation(user, SftpTestServer.Host, SftpTestServer.Port, directory),
            KeyFile = null,
            PasswordFile = SftpTestServer.Variable("CAIRN_TEST_SFTP_PASSWORD_FILE"),
        };
        try
        {
            await using (var store = new SftpBlobStore(options))
            {
                await store.CreateContainerIfMissingAsync(CancellationToken.None);
                await store.PutAsync(BlobName.Config, new byte[4]);
                Assert.Equal(4, (await store.StatAsync(BlobName.Config)).Length);
            }

            var wrong = Path.Combine(_scratch, "wrong");
            File.WriteAllText(wrong, "not-the-password\n");
            await using var refused = new SftpBlobStore(options with { PasswordFile = wrong });
            var e = await Assert.ThrowsAsync<StorageAccessDeniedException>(() => refused.StatAsync(BlobName.Config));
            Assert.Contains(wrong, e.Message);
            Assert.DoesNotContain("not-the-password", e.Message);
        }
        finally
        {
            SftpTestServer.Remove(Path.GetDirectoryName(directory)!);
        }
    }

    [Fact]
    public async Task An_unknown_host_key_is_refused_with_its_fingerprint()
    {
        var knownHosts = Path.Combine(_scratch, "known_hosts");
        File.WriteAllText(knownHosts, "# nothing for this server\n");
        await using var store = new SftpBlobStore(SftpTestServer.Options(_directory) with { KnownHostsFiles = [knownHosts] });

        var e = await Assert.ThrowsAnyAsync<StorageException>(() => store.StatAsync(BlobName.Config));

        Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
        Assert.False(e.IsTransient);
        Assert.Contains("is not known", e.Message);
        Assert.Contains(HostFingerprint(), e.Message);
        Assert.Contains($"ssh-keyscan -p {SftpTestServer.Port} -t ed25519 {SftpTestServer.Host}", e.Message);
    }

    [Fact]
    public async Task A_changed_or_revoked_host_key_is_refused_loudly()
    {
        var otherKey = Path.Combine(_scratch, "other");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey);
        var other = File.ReadAllText(otherKey + ".pub").Trim();
        var knownHosts = Path.Combine(_scratch, "known_hosts");
        File.WriteAllText(knownHosts, $"# first line\n[{SftpTestServer.Host}]:{SftpTestServer.Port} {other}\n");
        await using (var store = new SftpBlobStore(SftpTestServer.Options(_directory) with { KnownHostsFiles = [knownHosts] }))
        {
            var e = await Assert.ThrowsAnyAsync<StorageException>(() => store.StatAsync(BlobName.Config));
            Assert.Equal(ExitCode.StorageAccessDenied, e.ExitCode);
            Assert.Contains("CHANGED", e.Message);
            Assert.Contains($"{knownHosts}:2", e.Message);
            Assert.Contains(HostFingerprint(), e.Message);
        }

        File.WriteAllText(knownHosts, $"@revoked * {SftpTestServer.HostPublicKey}\n");
        await using (var store = new SftpBlobStore(SftpTestServer.Options(_directory) with { KnownHostsFiles = [SftpTestServer.KnownHostsFile, knownHosts] }))
        {
            var e = await Assert.ThrowsAnyAsync<StorageException>(() => store.StatAsync(BlobName.Config));
            Assert.Contains("@revoked", e.Message);
        }
    }

    [Fact]
    public async Task Only_the_explicit_opt_out_skips_host_key_verification()
    {
        var knownHosts = Path.Combine(_scratch, "empty");
        File.WriteAllText(knownHosts, "");
        await using var store = new SftpBlobStore(SftpTestServer.Options(_directory) with { KnownHostsFiles = [knownHosts], AcceptAnyHostKey = true });

        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        await store.PutAsync(BlobName.Config, new byte[2]);
    }

    [Fact]
    public async Task A_closed_port_is_unreachable_with_exit_code_18()
    {
        await using var store = new SftpBlobStore(SftpTestServer.Options(_directory, PrivateSshd.FreePort()));

        var e = await Assert.ThrowsAsync<StorageUnreachableException>(() => store.StatAsync(BlobName.Config));

        Assert.Equal(ExitCode.StorageUnreachable, e.ExitCode);
        Assert.True(e.IsTransient);
        Assert.Contains("connection refused", e.Message);
    }

    [Fact]
    public async Task Sessions_lost_when_the_server_restarts_are_replaced_on_the_next_use()
    {
        using var sshd = new PrivateSshd();
        await using var store = await StartPrivateAsync(sshd);
        await store.PutAsync(BlobName.Config, new byte[1]);

        sshd.Stop();
        var down = await Assert.ThrowsAnyAsync<StorageException>(() => store.StatAsync(BlobName.Config));
        Assert.True(down.IsTransient, down.ToString());
        Assert.Equal(ExitCode.StorageUnreachable, down.ExitCode);

        sshd.Start();
        Assert.Equal(1, (await store.StatAsync(BlobName.Config)).Length);
        var lockName = new BlobName(BlobKind.Lock, "00ff");
        await store.PutAsync(lockName, new byte[3]);
        Assert.Equal(new byte[3], await store.GetAsync(lockName));
    }

    [Fact]
    public async Task Sessions_the_server_dropped_while_idle_are_replaced_without_an_error()
    {
        using var sshd = new PrivateSshd();
        await using var store = await StartPrivateAsync(sshd);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.PutAsync(new BlobName(BlobKind.Lock, $"{i:x2}"), new byte[i])));

        sshd.DropConnections();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async i => Assert.Equal(new byte[i], await store.GetAsync(new BlobName(BlobKind.Lock, $"{i:x2}")))));
    }

    // A store with a fresh directory on a private sshd, which the test may stop and start.
    private async Task<SftpBlobStore> StartPrivateAsync(PrivateSshd sshd)
    {
        sshd.Start();
        var store = new SftpBlobStore(SftpTestServer.Options(_directory, sshd.Port) with { KnownHostsFiles = [sshd.KnownHostsFile] });
        await store.CreateContainerIfMissingAsync(CancellationToken.None);
        return store;
    }

    private static string HostFingerprint()
    {
        // ssh-keygen's own fingerprint, so the store's is checked against OpenSSH rather than against itself.
        var pub = Path.Combine(Path.GetDirectoryName(SftpTestServer.SshdConfig)!, "host_ed25519_key.pub");
        return Run("ssh-keygen", "-lf", pub).Split(' ')[1];
    }

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            Thread.Sleep(20);
        }
    }

    private static string Run(string program, params string[] arguments) =>
        Run(new ProcessStartInfo(program, arguments) { RedirectStandardError = true });

    private static string Run(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = start.RedirectStandardError ? process.StandardError.ReadToEnd() : "";
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{start.FileName} {string.Join(' ', start.ArgumentList)}: {error}");
        return output;
    }
}
