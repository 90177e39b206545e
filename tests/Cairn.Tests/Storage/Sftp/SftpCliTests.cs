using Cairn.Storage.Sftp;
using Cairn.Tests.Cli;
using Xunit.Abstractions;

namespace Cairn.Tests.Storage.Sftp;

/// <summary>The CLI end to end through sftp: locations, against the loopback OpenSSH server.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SftpCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _directory = SftpTestServer.NewDirectory("cli");
    private readonly ITestOutputHelper _output;

    public SftpCliTests(ITestOutputHelper output)
    {
        _output = output;
        SftpTestServer.Configure(_cli.Env, _directory);
    }

    public void Dispose()
    {
        SftpTestServer.Remove(_directory);
        _cli.Dispose();
    }

    private static void AssertOneLine(CliResult result, string expected)
    {
        var lines = result.Stderr.TrimEnd().Split('\n');
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {result}");
        Assert.StartsWith("cairn: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public async Task Init_backup_restore_and_check_through_an_sftp_location()
    {
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "init");
        Assert.True(File.Exists(Path.Combine(_directory, "config")), "init did not create the directory and its config on the server");

        await _cli.RunAsync(0, "backup", src);
        var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
        Assert.Equal(1, snapshots.GetArrayLength());
        await _cli.RunAsync(0, "backup", src);
        var target = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", target);
        TreeAssert.Equal(src, Path.Combine(target, src.TrimStart('/')));
        await _cli.RunAsync(0, "check", "--read-data");

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_directory, "data"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_directory, ".tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_location_without_user_logs_in_as_the_current_user()
    {
        _cli.Env["USER"] = SftpTestServer.User;
        _cli.Env["CAIRN_REPOSITORY"] = $"sftp:{SftpTestServer.Host}:{SftpTestServer.Port}:{_directory}";
        await _cli.RunAsync(0, "init");
        Assert.Equal(0, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
    }

    [Fact]
    public async Task A_missing_directory_is_exit_10_and_init_creates_it()
    {
        AssertOneLine(await _cli.RunAsync(10, "snapshots"), "cairn init");
        AssertOneLine(await _cli.RunAsync(10, "backup", _cli.MakeTree()), "does not exist");
        await _cli.RunAsync(0, "init");
        await _cli.RunAsync(0, "snapshots");
    }

    [Fact]
    public async Task Wrong_key_unknown_host_and_closed_port_each_give_one_line_and_their_exit_code()
    {
        var otherKey = Path.Combine(_cli.Root, "other_key");
        CliHarness.Sh($"ssh-keygen -q -t ed25519 -N '' -f '{otherKey}'");
        _cli.Env[SftpEnvironment.KeyFile] = otherKey;
        var wrongKey = await _cli.RunAsync(19, "snapshots");
        AssertOneLine(wrongKey, "refused the credentials");
        Assert.DoesNotContain(File.ReadAllText(otherKey).Split('\n')[1], wrongKey.Stderr);
        _cli.Env[SftpEnvironment.KeyFile] = SftpTestServer.KeyFile;

        var emptyKnownHosts = Path.Combine(_cli.Root, "known_hosts");
        File.WriteAllText(emptyKnownHosts, "");
        _cli.Env[SftpEnvironment.KnownHostsFile] = emptyKnownHosts;
        AssertOneLine(await _cli.RunAsync(19, "snapshots"), "is not known: ssh-ed25519 SHA256:");
        _cli.Env[SftpEnvironment.KnownHostsFile] = SftpTestServer.KnownHostsFile;

        _cli.Env["CAIRN_REPOSITORY"] = SftpTestServer.Location(_directory, PrivateSshd.FreePort());
        AssertOneLine(await _cli.RunAsync(18, "--timeout", "5s", "snapshots"), "connection refused");
    }

    [Fact]
    public async Task A_server_stopped_mid_backup_fails_it_cleanly_and_the_next_backup_succeeds()
    {
        using var sshd = new PrivateSshd();
        sshd.Start();
        SftpTestServer.Configure(_cli.Env, _directory, sshd.Port);
        _cli.Env[SftpEnvironment.KnownHostsFile] = sshd.KnownHostsFile;
        await _cli.RunAsync(0, "init");
        var src = Path.Combine(_cli.Root, "big");
        Directory.CreateDirectory(src);
        for (var i = 0; i < 6; i++) File.WriteAllBytes(Path.Combine(src, $"file{i}.bin"), CliHarness.RandomBytes(8 << 20, 100 + i));

        // Stop the server as soon as the first pack upload shows up on its disk.
        var data = Path.Combine(_directory, "data");
        var backup = Task.Run(() => _cli.RunAsync("--timeout", "10s", "backup", src));
        while (!backup.IsCompleted && !(Directory.Exists(data) && Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Any()))
        {
            await Task.Delay(5);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        sshd.Stop();
        var failed = await backup;
        _output.WriteLine($"the backup failed {watch.Elapsed.TotalSeconds:0.0}s after the server stopped: {failed.Stderr.Trim()}");
        Assert.True(failed.ExitCode is 16 or 18, $"expected a storage error, got {failed}");
        AssertOneLine(failed, "127.0.0.1");

        sshd.Start();
        watch.Restart();
        Assert.Equal(0, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
        await _cli.RunAsync(0, "check");
        _output.WriteLine($"snapshots and check after the restart: {watch.Elapsed.TotalSeconds:0.0}s");
        watch.Restart();
        await _cli.RunAsync(0, "backup", src);
        _output.WriteLine($"the next backup: {watch.Elapsed.TotalSeconds:0.0}s");
        await _cli.RunAsync(0, "check", "--read-data");
        var target = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", target);
        TreeAssert.Equal(src, Path.Combine(target, src.TrimStart('/')));
    }
}
