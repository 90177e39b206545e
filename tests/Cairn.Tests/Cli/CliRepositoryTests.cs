using System.Buffers.Binary;

namespace Cairn.Tests.Cli;

/// <summary>End-to-end tests of keys, password sources, the embedded default repository and every error exit code.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CliRepositoryTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static void AssertOneLine(CliResult result, string expected) => CliHarness.AssertOneLine(result, expected);

    [Fact]
    public async Task Key_add_list_remove_and_passwd()
    {
        await _cli.InitAsync();
        var second = Path.Combine(_cli.Root, "second.pass");
        File.WriteAllText(second, "second password\n");
        var added = (await _cli.RunAsync(0, "key", "add", "--new-password-file", second, "--json")).Json.GetProperty("id").GetString()!;

        var keys = (await _cli.RunAsync(0, "key", "list", "--json")).Json.EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        Assert.Single(keys, k => k.GetProperty("current").GetBoolean());
        Assert.Contains(keys, k => k.GetProperty("id").GetString() == added);
        Assert.Contains("*", (await _cli.RunAsync(0, "key", "list")).Stdout);

        // The new password opens the repository; the key in use cannot be removed; another one can.
        await _cli.RunAsync(0, "--password-file", second, "snapshots");
        var current = keys.Single(k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString()!;
        await _cli.RunAsync(2, "key", "remove", current[..8]);
        await _cli.RunAsync(0, "key", "remove", added[..8]);
        await _cli.RunAsync(12, "--password-file", second, "snapshots");
        await _cli.RunAsync(17, "key", "remove", "ffffffffffff");

        // passwd: the old password stops working, the new one works.
        var third = Path.Combine(_cli.Root, "third.pass");
        File.WriteAllText(third, "third password");
        await _cli.RunAsync(0, "key", "passwd", "--new-password-file", third);
        AssertOneLine(await _cli.RunAsync(12, "snapshots"), "wrong password");
        await _cli.RunAsync(0, "--password-file", third, "snapshots");
        var only = (await _cli.RunAsync(0, "--password-file", third, "key", "list", "--json")).Json.EnumerateArray().Single();
        Assert.Contains("only key", (await _cli.RunAsync(2, "--password-file", third, "key", "remove", only.GetProperty("id").GetString()!)).Stderr);
        Assert.Contains("--new-password-file", (await _cli.RunAsync(2, "--password-file", third, "key", "add")).Stderr);
    }

    [Fact]
    public async Task Default_repository_is_created_by_the_first_backup_with_a_private_password_file()
    {
        _cli.Env.Remove("CAIRN_REPOSITORY");
        _cli.Env.Remove("CAIRN_PASSWORD");
        var src = _cli.MakeTree();
        AssertOneLine(await _cli.RunAsync(10, "snapshots"), "no repository yet");

        var first = await _cli.RunAsync(0, "backup", src);
        var repo = Path.Combine(_cli.Root, "data", "cairn", "repository");
        var passwordFile = Path.Combine(_cli.Root, "config", "cairn", "password");
        Assert.True(File.Exists(Path.Combine(repo, "config")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(passwordFile)!));
        Assert.Contains(repo, first.Stderr);
        Assert.Contains(passwordFile, first.Stderr);
        Assert.Contains("keep a copy", first.Stderr);
        Assert.True(File.ReadAllText(passwordFile).Trim().Length >= 40);

        var second = await _cli.RunAsync(0, "backup", src);
        Assert.DoesNotContain("password", second.Stderr);
        Assert.Equal(2, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
        // The generated password really is the repository's.
        _cli.Env["CAIRN_REPOSITORY"] = repo;
        _cli.Env["CAIRN_PASSWORD_FILE"] = passwordFile;
        await _cli.RunAsync(0, "snapshots");
    }

    [Fact]
    public async Task Passwords_come_from_files_commands_and_the_environment_in_order()
    {
        await _cli.InitAsync();
        var good = Path.Combine(_cli.Root, "good.pass");
        var bad = Path.Combine(_cli.Root, "bad.pass");
        File.WriteAllText(good, CliHarness.Password + "\nsecond line ignored\n");
        File.WriteAllText(bad, "nope\n");
        _cli.Env.Remove("CAIRN_PASSWORD");
        AssertOneLine(await _cli.RunAsync(2, "snapshots"), "no password given: set CAIRN_PASSWORD");

        _cli.Env["CAIRN_PASSWORD"] = "wrong";
        await _cli.RunAsync(12, "snapshots");
        _cli.Env["CAIRN_PASSWORD_COMMAND"] = $"echo '{CliHarness.Password}'"; // beats CAIRN_PASSWORD
        await _cli.RunAsync(0, "snapshots");
        _cli.Env["CAIRN_PASSWORD_FILE"] = bad; // beats the command
        await _cli.RunAsync(12, "snapshots");
        await _cli.RunAsync(0, "--password-file", good, "snapshots"); // beats everything
        _cli.Env["CAIRN_PASSWORD_FILE"] = good;
        await _cli.RunAsync(0, "snapshots");
        _cli.Env.Remove("CAIRN_PASSWORD_FILE");
        _cli.Env["CAIRN_PASSWORD_COMMAND"] = "exit 3";
        AssertOneLine(await _cli.RunAsync(2, "snapshots"), "password command failed");
        AssertOneLine(await _cli.RunAsync(2, "--password-file", Path.Combine(_cli.Root, "missing"), "snapshots"), "cannot read password file");
    }

    [Fact]
    public async Task Missing_non_repository_and_future_version_repositories_give_their_own_codes()
    {
        AssertOneLine(await _cli.RunAsync(10, "snapshots"), "there is no repository");
        var notRepo = Path.Combine(_cli.Root, "not-a-repo");
        Directory.CreateDirectory(notRepo);
        File.WriteAllText(Path.Combine(notRepo, "some-file"), "x");
        AssertOneLine(await _cli.RunAsync(10, "-r", notRepo, "snapshots"), "no repository");
        File.WriteAllText(Path.Combine(notRepo, "config"), "not a cairn config at all");
        AssertOneLine(await _cli.RunAsync(10, "-r", notRepo, "snapshots"), "not a Cairn repository");

        await _cli.InitAsync();
        var config = Path.Combine(_cli.Repo, "config");
        var bytes = File.ReadAllBytes(config);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 99);
        File.WriteAllBytes(config, bytes);
        AssertOneLine(await _cli.RunAsync(13, "snapshots"), "version 99");
    }

    [Fact]
    public async Task A_damaged_pack_makes_restore_name_the_file_and_the_blob_and_exit_14()
    {
        await _cli.InitAsync();
        var src = Path.Combine(_cli.Root, "one");
        Directory.CreateDirectory(src);
        File.WriteAllBytes(Path.Combine(src, "victim.bin"), CliHarness.RandomBytes(100_000, 7));
        await _cli.RunAsync(0, "backup", src, "-q");
        // Trees have packs of their own: the bigger of the two packs is the data pack, whose first bytes are the file's chunk.
        var packs = Directory.GetFiles(Path.Combine(_cli.Repo, "data"), "*", SearchOption.AllDirectories);
        Assert.Equal(2, packs.Length);
        var pack = packs.MaxBy(p => new FileInfo(p).Length)!;
        var bytes = File.ReadAllBytes(pack);
        bytes[100] ^= 0x40;
        File.WriteAllBytes(pack, bytes);

        var restore = await _cli.RunAsync(14, "restore", "latest", "--target", Path.Combine(_cli.Root, "out"));
        var line = Assert.Single(restore.Stderr.TrimEnd().Split('\n'));
        Assert.Contains(src + "/victim.bin", line);
        Assert.Contains("blob", line);
        Assert.Contains(Path.GetFileName(pack)[..8], line);
    }

    [Fact]
    public async Task An_unreadable_file_is_a_warning_and_exit_3_with_a_partial_snapshot()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        // Root can read any regular file; /proc/PID/mem of a live process fails with EIO at offset 0 even for root.
        var unreadable = $"/proc/{Environment.ProcessId}/mem";
        var backup = await _cli.RunAsync(3, "backup", src, unreadable);
        Assert.Contains("cairn: warning: " + unreadable, backup.Stderr);
        var snapshot = (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Single();
        Assert.Equal("partial", snapshot.GetProperty("status").GetString());
        Assert.Equal(unreadable, snapshot.GetProperty("warnings")[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task An_interrupted_command_exits_130_with_one_line()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int code = await Cairn.Cli.Program.RunAsync(["backup", src], stdout, stderr, _cli.Env, new CancellationToken(canceled: true));
        Assert.Equal(130, code);
        Assert.Equal("cairn: interrupted", stderr.ToString().Trim());
        Assert.Equal(0, _cli.CountRepoFiles("snapshots"));
    }

    [Fact]
    public async Task A_full_disk_gives_exit_15_and_leaves_the_repository_usable()
    {
        var small = Path.Combine(_cli.Root, "small");
        Directory.CreateDirectory(small);
        CliHarness.Sh($"mount -t tmpfs -o size=2m tmpfs '{small}'");
        try
        {
            var repo = Path.Combine(small, "repo");
            _cli.Env["CAIRN_REPOSITORY"] = repo;
            await _cli.RunAsync(0, "init");
            var src = Path.Combine(_cli.Root, "big");
            Directory.CreateDirectory(src);
            File.WriteAllBytes(Path.Combine(src, "small.txt"), "tiny"u8.ToArray());
            await _cli.RunAsync(0, "backup", Path.Combine(src, "small.txt"));
            File.WriteAllBytes(Path.Combine(src, "random.bin"), CliHarness.RandomBytes(8 << 20, 3));

            AssertOneLine(await _cli.RunAsync(15, "backup", src), "no space left");
            var list = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
            Assert.Equal(1, list.GetArrayLength());
            await _cli.RunAsync(0, "restore", "latest", "--target", Path.Combine(_cli.Root, "restored"));
        }
        finally
        {
            CliHarness.Sh($"umount '{small}'");
        }
    }
}
