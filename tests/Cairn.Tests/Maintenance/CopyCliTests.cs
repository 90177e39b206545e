using System.Text;
using System.Text.Json;
using Cairn.Content;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Maintenance;

/// <summary>cairn copy and init --from-repository end to end: two repositories with their own passwords.</summary>
public sealed class CopyCliTests : IDisposable
{
    private const string SourcePassword = "source password";

    private readonly CliHarness _cli = new();

    public CopyCliTests()
    {
        _cli.Env["CAIRN_FROM_REPOSITORY"] = SourceRepo;
        _cli.Env["CAIRN_FROM_PASSWORD"] = SourcePassword;
    }

    public void Dispose() => _cli.Dispose();

    private string SourceRepo => Path.Combine(_cli.Root, "source-repo");

    [Fact]
    public async Task Copy_to_a_repository_with_its_own_password_restores_byte_identical_and_a_second_run_copies_nothing()
    {
        var tree = _cli.MakeTree();
        await OnSourceAsync(0, "init");
        await OnSourceAsync(0, "backup", tree, "--tag", "daily");
        var original = SourceSnapshots()[0];
        await _cli.InitAsync();
        // The source's password from a file this time, the option instead of the variable.
        var passwordFile = Path.Combine(_cli.Root, "source-pass");
        File.WriteAllText(passwordFile, SourcePassword + "\n");
        _cli.Env.Remove("CAIRN_FROM_PASSWORD");

        var first = await _cli.RunAsync(0, "copy", "--from-password-file", passwordFile);
        Assert.Contains("ids are translated to the destination's keys", first.Stdout);
        Assert.Contains($"snapshot {original.GetProperty("short_id").GetString()} of [{tree}]", first.Stdout);
        Assert.Contains("copied 1 snapshots, 0 already there", first.Stdout);

        var copy = Assert.Single((await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray());
        Assert.Equal(original.GetProperty("id").GetString(), copy.GetProperty("copied_from").GetString());
        Assert.NotEqual(original.GetProperty("id").GetString(), copy.GetProperty("id").GetString());
        foreach (var field in new[] { "time", "hostname", "paths", "tags", "status", "summary", "components", "username" })
            Assert.Equal(original.GetProperty(field).GetRawText(), copy.GetProperty(field).GetRawText());
        var restored = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", restored, "--verify");
        TreeAssert.Equal(tree, Path.Combine(restored, tree.TrimStart('/')));

        int packs = _cli.CountRepoFiles("data"), indexes = _cli.CountRepoFiles("index");
        var again = (await _cli.RunAsync(0, "copy", "--from-password-file", passwordFile, "--json")).Json;
        Assert.Equal(0, again.GetProperty("copied").GetInt32());
        Assert.Equal(1, again.GetProperty("skipped").GetInt32());
        Assert.Equal(0, again.GetProperty("blobs_added").GetInt64());
        Assert.Equal(0, again.GetProperty("blobs_read").GetInt64());
        var skipped = Assert.Single(again.GetProperty("snapshots").EnumerateArray());
        Assert.Equal("skipped", skipped.GetProperty("action").GetString());
        Assert.Equal(copy.GetProperty("id").GetString(), skipped.GetProperty("copy_id").GetString());
        Assert.Equal((packs, indexes, 1), (_cli.CountRepoFiles("data"), _cli.CountRepoFiles("index"), _cli.CountRepoFiles("snapshots")));
    }

    [Fact]
    public async Task Filters_and_ids_select_the_snapshots_to_copy()
    {
        var tree = _cli.MakeTree();
        await OnSourceAsync(0, "init");
        await OnSourceAsync(0, "backup", tree, "--host", "h1", "--tag", "a", "--time", "2024-01-01T10:00:00Z");
        await OnSourceAsync(0, "backup", tree, "--host", "h2", "--tag", "b", "--time", "2024-01-02T10:00:00Z");
        await OnSourceAsync(0, "backup", tree, "--host", "h1", "--tag", "b", "--time", "2024-01-03T10:00:00Z");
        await OnSourceAsync(0, "backup", tree, "--host", "h3", "--time", "2024-01-04T10:00:00Z");
        var ids = SourceSnapshots().Select(s => s.GetProperty("id").GetString()!).ToList();
        await _cli.InitAsync();

        Assert.Equal([ids[1]], Copied(await _cli.RunAsync(0, "copy", "--host", "h2", "--json")));
        Assert.Equal([ids[0]], Copied(await _cli.RunAsync(0, "copy", ids[0][..10], "--json")));
        Assert.Equal([ids[2]], Copied(await _cli.RunAsync(0, "copy", "latest", "--host", "h1", "--json")));
        var tagged = (await _cli.RunAsync(0, "copy", "--tag", "b", "--json")).Json;
        Assert.Equal(0, tagged.GetProperty("copied").GetInt32());
        Assert.Equal(2, tagged.GetProperty("skipped").GetInt32());
        Assert.Equal([ids[0], ids[1], ids[2]], CopiedFrom());

        Assert.Equal([ids[3]], Copied(await _cli.RunAsync(0, "copy", "--json")));
        Assert.Equal(ids, CopiedFrom());
        Assert.Contains("no snapshot has an id starting with 'abcdef'", (await _cli.RunAsync(17, "copy", "abcdef")).Stderr);
    }

    [Fact]
    public async Task A_related_repository_keeps_ids_and_a_direct_backup_of_copied_data_adds_no_data()
    {
        var tree = _cli.MakeTree();
        await OnSourceAsync(0, "init");
        await OnSourceAsync(0, "backup", tree);
        var sourceIds = SourceSnapshots().Select(s => s.GetProperty("id").GetString()).ToList();
        // CAIRN_FROM_REPOSITORY is set, yet a plain init makes an unrelated repository: only the option relates them.
        var plain = Path.Combine(_cli.Root, "plain");
        await _cli.RunAsync(0, "-r", plain, "init");
        Assert.False((await _cli.RunAsync(0, "-r", plain, "copy", "--json")).Json.GetProperty("related").GetBoolean());

        var init = (await _cli.RunAsync(0, "init", "--from-repository", SourceRepo, "--json")).Json;
        Assert.Equal(SourceRepo, init.GetProperty("shares_secret_with").GetString());
        var copy = (await _cli.RunAsync(0, "copy", "--json")).Json;
        Assert.True(copy.GetProperty("related").GetBoolean());
        Assert.Equal(sourceIds, (await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(sourceIds, copy.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("copy_id").GetString()));

        long dataBefore = await CountDataBlobsAsync();
        var backup = (await _cli.RunAsync(0, "backup", tree, "--force", "--json")).Stdout;
        Assert.Equal(dataBefore, await CountDataBlobsAsync());
        Assert.Contains("\"bytes_read\"", backup); // --force read every file again, and each chunk was already there

        // The other direction too: what is backed up directly into the destination copies back without translation.
        File.WriteAllText(Path.Combine(tree, "new.txt"), "written after the copy\n");
        await _cli.RunAsync(0, "backup", tree);
        var back = (await OnSourceAsync(0, "copy", "--from-repo", _cli.Repo, "--from-password-file", WritePasswordFile(CliHarness.Password), "--json")).Json;
        Assert.True(back.GetProperty("related").GetBoolean());
        Assert.Equal(2, back.GetProperty("copied").GetInt32());
        Assert.Equal(1, back.GetProperty("skipped").GetInt32());
    }

    [Fact]
    public async Task A_dry_run_reports_what_it_would_copy_and_writes_nothing()
    {
        var tree = _cli.MakeTree();
        await OnSourceAsync(0, "init");
        await OnSourceAsync(0, "backup", tree);
        await _cli.InitAsync();
        var before = Directory.GetFiles(_cli.Repo, "*", SearchOption.AllDirectories).Order().ToList();

        var dry = await _cli.RunAsync(0, "copy", "--dry-run");

        Assert.Contains("would copy, adding", dry.Stdout);
        Assert.Contains("dry run: would copy 1 snapshots, 0 already there", dry.Stdout);
        Assert.Equal(before, Directory.GetFiles(_cli.Repo, "*", SearchOption.AllDirectories).Order());
    }

    [Fact]
    public async Task Wrong_passwords_and_missing_repositories_name_the_repository_at_fault()
    {
        var tree = _cli.MakeTree();
        await OnSourceAsync(0, "init");
        await OnSourceAsync(0, "backup", tree);
        await _cli.InitAsync();

        _cli.Env["CAIRN_FROM_PASSWORD"] = "not it";
        var wrongSource = await _cli.RunAsync(12, "copy");
        Assert.Contains("cairn: source repository: wrong password", wrongSource.Stderr);
        Assert.Contains(SourceRepo, wrongSource.Stderr);
        _cli.Env["CAIRN_FROM_PASSWORD"] = SourcePassword;

        _cli.Env["CAIRN_PASSWORD"] = "not it either";
        var wrongDestination = await _cli.RunAsync(12, "copy");
        Assert.DoesNotContain("source", wrongDestination.Stderr);
        Assert.Contains(_cli.Repo, wrongDestination.Stderr);
        _cli.Env["CAIRN_PASSWORD"] = CliHarness.Password;

        var missing = Path.Combine(_cli.Root, "nowhere");
        Assert.Contains($"there is no source repository at {missing}: check --from-repo/CAIRN_FROM_REPOSITORY",
            (await _cli.RunAsync(10, "copy", "--from-repo", missing)).Stderr);
        Assert.Contains("there is no repository at", (await _cli.RunAsync(10, "-r", missing, "copy")).Stderr);
        Assert.Contains("the source and the destination are the same repository", (await _cli.RunAsync(2, "copy", "--from-repo", _cli.Repo)).Stderr);

        _cli.Env.Remove("CAIRN_FROM_REPOSITORY");
        Assert.Contains("no source repository given: use --from-repo or set CAIRN_FROM_REPOSITORY", (await _cli.RunAsync(2, "copy")).Stderr);
        _cli.Env.Remove("CAIRN_FROM_PASSWORD");
        Assert.Contains("no password given for the source repository: set CAIRN_FROM_PASSWORD",
            (await _cli.RunAsync(2, "copy", "--from-repo", SourceRepo)).Stderr);

        // init --from-repository checks the source's password before creating anything.
        var related = Path.Combine(_cli.Root, "related");
        _cli.Env["CAIRN_FROM_PASSWORD"] = "wrong";
        Assert.Contains("source repository: wrong password", (await _cli.RunAsync(12, "-r", related, "init", "--from-repository", SourceRepo)).Stderr);
        Assert.False(Directory.Exists(related) && Directory.EnumerateFileSystemEntries(related).Any());
        var noSource = (await _cli.RunAsync(10, "-r", related, "init", "--from-repository", missing)).Stderr;
        Assert.Contains($"there is no source repository at {missing}: check --from-repository", noSource);
        Assert.DoesNotContain("CAIRN_FROM_REPOSITORY", noSource); // init does not read it, so it must not suggest it
    }

    [Fact]
    public async Task Help_explains_the_source_options_and_the_two_kinds_of_destination()
    {
        var help = (await _cli.RunAsync(0, "copy", "--help")).Stdout;
        foreach (var text in new[] { "--from-repo", "--from-password-file", "CAIRN_FROM_PASSWORD_COMMAND", "copied_from", "init --from-repository", "--dry-run", "--host" })
            Assert.Contains(text, help);
        Assert.Contains("--from-repository", (await _cli.RunAsync(0, "init", "--help")).Stdout);
    }

    private async Task<CliResult> OnSourceAsync(int expectedExit, params string[] args)
    {
        var (repo, password) = (_cli.Env["CAIRN_REPOSITORY"], _cli.Env["CAIRN_PASSWORD"]);
        _cli.Env["CAIRN_REPOSITORY"] = SourceRepo;
        _cli.Env["CAIRN_PASSWORD"] = SourcePassword;
        try
        {
            return await _cli.RunAsync(expectedExit, args);
        }
        finally
        {
            (_cli.Env["CAIRN_REPOSITORY"], _cli.Env["CAIRN_PASSWORD"]) = (repo, password);
        }
    }

    private List<JsonElement> SourceSnapshots() =>
        [.. OnSourceAsync(0, "snapshots", "--json").GetAwaiter().GetResult().Json.EnumerateArray()];

    private List<string> CopiedFrom() =>
        [.. _cli.RunAsync(0, "snapshots", "--json").GetAwaiter().GetResult().Json.EnumerateArray()
            .OrderBy(s => s.GetProperty("time").GetDateTimeOffset()).Select(s => s.GetProperty("copied_from").GetString()!)];

    private static List<string> Copied(CliResult result) =>
        [.. result.Json.GetProperty("snapshots").EnumerateArray()
            .Where(s => s.GetProperty("action").GetString() == "copied").Select(s => s.GetProperty("id").GetString()!)];

    private string WritePasswordFile(string password)
    {
        var file = Path.Combine(_cli.Root, "pass-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(file, password);
        return file;
    }

    private async Task<long> CountDataBlobsAsync()
    {
        await using var repository = await Repository.OpenAsync(new LocalBlobStore(_cli.Repo), Encoding.UTF8.GetBytes(CliHarness.Password), CancellationToken.None);
        return repository.Content.Index.Entries.Count(e => e.Value.Entry.Type == ObjectType.Data);
    }
}
