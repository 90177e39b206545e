using Cairn.Tests.Storage.Rest;

namespace Cairn.Tests.Cli;

/// <summary>
/// End-to-end through rest: and rclone: locations against rclone serve restic (tests/servers/rclone.sh): init, backup,
/// restore, check, and the errors a user meets (bad credentials, no repository, no server, no rclone remote).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliRestTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly string _name = RestTestServers.NewName();

    public void Dispose()
    {
        _cli.Dispose();
        RestTestServers.DeleteDirectory(Path.Combine(RestTestServers.RestRoot, _name));
        RestTestServers.DeleteDirectory(Path.Combine(RestTestServers.RcloneRoot, _name));
    }

    private string ServerFolder => Path.Combine(RestTestServers.RestRoot, _name);

    private string RestLocation(string user, string password) =>
        $"rest:{RestTestServers.Url.Replace("http://", $"http://{user}:{Uri.EscapeDataString(password)}@", StringComparison.Ordinal)}/{_name}/";

    private static void AssertOneLine(CliResult result, string expected)
    {
        var lines = result.Stderr.TrimEnd().Split('\n');
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {result}");
        Assert.StartsWith("cairn: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    /// <summary>init, two backups, snapshots, restore --verify and check --read-data, calling <paramref name="afterEach"/> after each.</summary>
    private async Task BackupRestoreCheckAsync(Action<CliResult> afterEach)
    {
        async Task<CliResult> Run(params string[] args)
        {
            var result = await _cli.RunAsync(0, args);
            afterEach(result);
            return result;
        }

        await Run("init");
        var src = _cli.MakeTree();
        await Run("backup", src);
        File.WriteAllText(Path.Combine(src, "a.txt"), "changed\n");
        await Run("backup", src);
        Assert.Equal(2, (await Run("snapshots", "--json")).Json.GetArrayLength());
        var target = Path.Combine(_cli.Root, "restored");
        await Run("restore", "latest", "--target", target, "--verify");
        TreeAssert.Equal(src, target + src);
        await Run("check", "--read-data");
    }

    [Fact]
    public async Task Init_backup_restore_and_check_through_rest_with_credentials_in_the_url()
    {
        var password = RestTestServers.Credentials.Password;
        _cli.Env["CAIRN_REPOSITORY"] = RestLocation(RestTestServers.Credentials.User, password);

        await BackupRestoreCheckAsync(result => Assert.DoesNotContain(password, result.Stdout + result.Stderr));

        // init made the repository's folders (POST /?create=true), and the server keeps packs in data/XX/ itself: the
        // folder it serves is a local repository, byte for byte.
        foreach (var folder in (string[])["keys", "index", "snapshots", "locks"]) Assert.True(Directory.Exists(Path.Combine(ServerFolder, folder)), folder);
        var packs = Directory.GetFiles(Path.Combine(ServerFolder, "data"), "*", SearchOption.AllDirectories);
        Assert.NotEmpty(packs);
        Assert.All(packs, p => Assert.Equal(Path.GetFileName(p)[..2], Path.GetFileName(Path.GetDirectoryName(p))));
        _cli.Env["CAIRN_REPOSITORY"] = ServerFolder;
        Assert.Equal(2, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
    }

    [Fact]
    public async Task Init_output_shows_the_location_without_the_password()
    {
        var password = RestTestServers.Credentials.Password;
        var location = RestLocation(RestTestServers.Credentials.User, password);

        var init = await _cli.RunAsync(0, "-r", location, "init", "--json");

        Assert.Equal($"rest:{RestTestServers.Url}/{_name}/", init.Json.GetProperty("repository").GetString());
        Assert.DoesNotContain(password, init.Stdout + init.Stderr);
    }

    [Fact]
    public async Task Credentials_from_the_environment_work_and_wrong_or_missing_ones_exit_19()
    {
        var passwordFile = Path.Combine(_cli.Root, "rest.pass");
        File.WriteAllText(passwordFile, RestTestServers.Credentials.Password + "\n");
        _cli.Env["CAIRN_REPOSITORY"] = $"rest:{RestTestServers.Url}/{_name}";
        _cli.Env["CAIRN_REST_USERNAME"] = RestTestServers.Credentials.User;
        _cli.Env["CAIRN_REST_PASSWORD_FILE"] = passwordFile;
        await _cli.RunAsync(0, "init");
        await _cli.RunAsync(0, "backup", _cli.MakeTree());

        _cli.Env["CAIRN_REST_PASSWORD"] = "not-the-password"; // the variable wins over the file
        var wrong = await _cli.RunAsync(19, "snapshots");
        AssertOneLine(wrong, "refused the credentials");
        Assert.DoesNotContain("not-the-password", wrong.Stderr);

        // In the URL, they win over the environment.
        _cli.Env["CAIRN_REPOSITORY"] = RestLocation(RestTestServers.Credentials.User, "wrong-in-url");
        _cli.Env["CAIRN_REST_PASSWORD"] = RestTestServers.Credentials.Password;
        AssertOneLine(await _cli.RunAsync(19, "snapshots"), "check the user and password");

        _cli.Env.Remove("CAIRN_REST_USERNAME");
        _cli.Env.Remove("CAIRN_REST_PASSWORD");
        _cli.Env.Remove("CAIRN_REST_PASSWORD_FILE");
        _cli.Env["CAIRN_REPOSITORY"] = $"rest:{RestTestServers.Url}/{_name}";
        AssertOneLine(await _cli.RunAsync(19, "snapshots"), "wants a user and password");
    }

    [Fact]
    public async Task A_missing_repository_exits_10()
    {
        _cli.Env["CAIRN_REPOSITORY"] = RestLocation(RestTestServers.Credentials.User, RestTestServers.Credentials.Password);

        var result = await _cli.RunAsync(10, "snapshots");

        AssertOneLine(result, $"there is no repository at rest:{RestTestServers.Url}/{_name}/");
        Assert.DoesNotContain(RestTestServers.Credentials.Password, result.Stderr);
    }

    [Fact]
    public async Task An_unreachable_server_exits_18_with_one_line()
    {
        var location = $"rest:http://127.0.0.1:{RestTestServers.ClosedPort()}/{_name}";

        var result = await _cli.RunAsync(18, "-r", location, "--timeout", "5s", "snapshots");

        AssertOneLine(result, $"cannot reach {location}/: connection refused");
    }

    [Fact]
    public async Task Init_backup_restore_and_check_through_rclone_and_the_child_is_stopped_after_each_command()
    {
        _cli.Env["CAIRN_REPOSITORY"] = $"rclone:{RestTestServers.RcloneRemote}:{Path.Combine(RestTestServers.RcloneRoot, _name)}";
        _cli.Env["RCLONE_CONFIG"] = RestTestServers.RcloneConfig;

        await BackupRestoreCheckAsync(_ => Assert.Empty(RestTestServers.RcloneChildren(_name)));

        Assert.True(File.Exists(Path.Combine(RestTestServers.RcloneRoot, _name, "config")));
    }

    [Fact]
    public async Task An_rclone_remote_missing_from_the_config_is_one_line_naming_it()
    {
        _cli.Env["RCLONE_CONFIG"] = RestTestServers.RcloneConfig;

        var result = await _cli.RunAsync(10, "-r", "rclone:nosuchremote:backups/repo", "snapshots");

        AssertOneLine(result, $"rclone has no remote named 'nosuchremote' in its config file {RestTestServers.RcloneConfig}");
        Assert.Empty(RestTestServers.RcloneChildren("nosuchremote"));
    }

    [Fact]
    public async Task A_missing_rclone_program_is_one_clear_line()
    {
        _cli.Env["CAIRN_RCLONE_PROGRAM"] = Path.Combine(_cli.Root, "no-such-rclone");

        var result = await _cli.RunAsync(16, "-r", $"rclone:{RestTestServers.RcloneRemote}:/tmp/x", "snapshots");

        AssertOneLine(result, "rclone is not installed");
    }

    [Fact]
    public async Task A_server_stopped_mid_backup_fails_it_cleanly_and_the_next_backup_after_a_restart_succeeds()
    {
        using var server = new PrivateRcloneServer();
        _cli.Env["CAIRN_REPOSITORY"] = $"rest:{server.Url}/repo";
        await _cli.RunAsync(0, "init");
        var src = Path.Combine(_cli.Root, "big");
        Directory.CreateDirectory(src);
        for (var i = 0; i < 3; i++) File.WriteAllBytes(Path.Combine(src, $"f{i}"), CliHarness.RandomBytes(12 << 20, i));

        // Kill the server as soon as the first pack starts to arrive.
        var backup = _cli.RunAsync("backup", src);
        var data = Path.Combine(server.Root, "repo", "data");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!backup.IsCompleted && DateTime.UtcNow < deadline && !(Directory.Exists(data) && Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories).Any()))
        {
            await Task.Delay(5);
        }

        if (backup.IsCompleted) Assert.Fail("the backup finished before the server could be stopped: " + await backup);
        server.Kill();
        var failed = await backup;
        Assert.True(failed.ExitCode is 16 or 18, $"expected a storage error, got {failed}");
        AssertOneLine(failed, $"rest:{server.Url}/repo/");

        server.Start();
        await _cli.RunAsync(0, "backup", src);
        var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
        Assert.Equal(1, snapshots.GetArrayLength());
        await _cli.RunAsync(0, "check", "--read-data");
        var target = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", target);
        TreeAssert.Equal(src, target + src);
    }
}
