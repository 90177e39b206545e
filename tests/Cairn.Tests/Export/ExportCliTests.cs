using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cairn.Orchestration.Export;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Export;

/// <summary>cairn export, end to end: archives are extracted with the system's tar (and zstd) and compared with the source.</summary>
public sealed class ExportCliTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Output(string name = "out")
    {
        var path = Path.Combine(_cli.Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    // The tree of CliHarness.MakeTree plus names tar must carry in PAX headers: a newline, bytes that are not UTF-8,
    // a 150-byte name and a path far beyond ustar's 255 bytes.
    private string MakeOddTree()
    {
        var src = _cli.MakeTree();
        File.WriteAllText(Path.Combine(src, "new\nline"), "newline\n");
        File.WriteAllText(Path.Combine(src, new string('n', 150)), "long name\n");
        var deep = Path.Combine(src, string.Join('/', Enumerable.Range(0, 8).Select(i => $"level-{i}-" + new string('d', 40))));
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "deep.txt"), "deep\n");
        CliHarness.Sh($"printf 'latin1\\n' > \"{src}/$(printf 'caf\\351')\" && touch -d @1600000000 '{src}/sub/b.log'" +
                      $" && truncate -s 3M '{src}/sparse' && printf middle | dd of='{src}/sparse' bs=1 seek=1500000 conv=notrunc 2>/dev/null");
        return src;
    }

    private static void Extract(string archive, string into)
    {
        Directory.CreateDirectory(into);
        var z = archive.EndsWith(".zst", StringComparison.Ordinal) ? "--zstd " : "-z ";
        CliHarness.Sh($"tar {z}-xpf '{archive}' -C '{into}'");
    }

    private static ExportMetadata ReadMetadata(string extracted) => ExportMetadata.FromJson(File.ReadAllBytes(Path.Combine(extracted, "metadata.json")));

    // Every file metadata.json lists has the SHA-256 it states, and its size.
    private static void AssertChecksums(string extracted, ExportMetadata metadata)
    {
        Assert.NotEmpty(metadata.Files);
        foreach (var file in metadata.Files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(extracted, file.Path));
            Assert.Equal(file.Size, bytes.Length);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
    }

    private static string FirstEntry(string archive) =>
        CliHarness.Sh($"tar {(archive.EndsWith(".zst", StringComparison.Ordinal) ? "--zstd " : "-z ")}-tf '{archive}' | head -n 1").Trim();

    [Fact]
    public async Task A_backed_up_tree_exports_to_a_tar_gz_that_system_tar_extracts_with_contents_modes_times_links_and_checksums()
    {
        await _cli.InitAsync();
        var src = MakeOddTree();
        await _cli.RunAsync(0, "backup", src, "--host", "web1");
        var output = Output();

        var run = await _cli.RunAsync(0, "export", "latest", "--output", output, "--json");
        var summary = run.Json;
        var archive = summary.GetProperty("path").GetString()!;
        Assert.Equal(output, Path.GetDirectoryName(archive));
        Assert.Matches(@"^web1-\d{8}T\d{6}Z\.tar\.gz$", Path.GetFileName(archive));
        Assert.Equal([Path.GetFileName(archive)], Directory.GetFiles(output).Select(Path.GetFileName));
        Assert.Contains("is not UTF-8", run.Stderr);
        Assert.Equal("metadata.json", FirstEntry(archive));

        var extracted = Path.Combine(_cli.Root, "extracted");
        Extract(archive, extracted);
        var root = Path.Combine(extracted, "data", src.TrimStart('/'));
        foreach (var file in Directory.GetFiles(src, "*", SearchOption.AllDirectories).Where(f => !f.Contains('\uFFFD', StringComparison.Ordinal) && new FileInfo(f).LinkTarget is null))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(root, Path.GetRelativePath(src, file))));
        Assert.Equal("long name\n", File.ReadAllText(Path.Combine(root, new string('n', 150))));
        Assert.Equal("newline\n", File.ReadAllText(Path.Combine(root, "new\nline")));
        Assert.True(Directory.Exists(Path.Combine(root, "empty-dir")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(root, "empty-dir")));
        Assert.Equal("a.txt", new FileInfo(Path.Combine(root, "link")).LinkTarget);
        // The name that is not UTF-8 shows its byte as \xe9; metadata.json has the exact bytes.
        Assert.Equal("latin1\n", File.ReadAllText(Path.Combine(root, "caf\\xe9")));

        // Modes (setuid included, tar -p), nanosecond-ish times (PAX keeps 100 ns), the hardlink as one inode.
        Assert.Equal("4755 754", CliHarness.Sh($"stat -c %a '{root}/empty' '{root}/sub/b.log' | tr '\\n' ' '").Trim());
        Assert.Equal("1577934245.123456700", CliHarness.Sh($"stat -c %.9Y '{root}/a.txt'").Trim());
        Assert.Equal("1600000000", CliHarness.Sh($"stat -c %Y '{root}/sub/b.log'").Trim());
        Assert.Equal(CliHarness.Sh($"stat -c %i '{root}/a.txt'"), CliHarness.Sh($"stat -c %i '{root}/sub/hard'"));

        var metadata = ReadMetadata(extracted);
        AssertChecksums(extracted, metadata);
        Assert.Equal(("cairn-export", 1, "web1"), (metadata.Format, metadata.FormatVersion, metadata.Snapshot.Hostname));
        Assert.Equal(summary.GetProperty("snapshot_id").GetString(), metadata.Snapshot.Id);
        Assert.Equal([src], metadata.Snapshot.Paths);
        Assert.Null(metadata.Snapshot.Job);
        Assert.Equal("data", metadata.DataDirectory);
        var hard = Assert.Single(metadata.Files, f => f.LinkTo is not null);
        Assert.EndsWith("/sub/hard", hard.Path);
        Assert.EndsWith("/a.txt", hard.LinkTo);
        var latin = Assert.Single(metadata.Files, f => f.RawPathBase64 is not null);
        Assert.Equal(Encoding.UTF8.GetBytes("data" + src + "/caf").Concat(new byte[] { 0xe9 }), Convert.FromBase64String(latin.RawPathBase64!));
        Assert.Equal(metadata.Files.Count(f => f.LinkTo is null), metadata.Totals.Files);
        Assert.Equal(1, metadata.Totals.Hardlinks);
        Assert.Equal(1, metadata.Totals.Symlinks);
        Assert.Equal(summary.GetProperty("files").GetInt64(), metadata.Totals.Files);
    }

    [Fact]
    public async Task Tar_zst_exports_decompress_with_zstd_and_match_the_tar_gz_export()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        await _cli.RunAsync(0, "backup", src, "--host", "web1");
        var output = Output();
        var gz = (await _cli.RunAsync(0, "export", "latest", "--output", output, "--json")).Json.GetProperty("path").GetString()!;
        var zst = (await _cli.RunAsync(0, "export", "latest", "--output", output, "--format", "tar.zst", "--json")).Json.GetProperty("path").GetString()!;
        Assert.EndsWith(".tar.zst", zst);
        Assert.Equal(Path.GetFileName(gz)[..^".tar.gz".Length], Path.GetFileName(zst)[..^".tar.zst".Length]);
        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], File.ReadAllBytes(zst)[..4]); // zstd's frame magic

        // The zstd CLI when installed (it is a test dependency here), else the same decoder Cairn links.
        var tar = Path.Combine(_cli.Root, "from-zst.tar");
        if (File.Exists("/usr/bin/zstd")) CliHarness.Sh($"zstd -q -d '{zst}' -o '{tar}'");
        else
        {
            await using var input = new ZstdSharp.DecompressionStream(File.OpenRead(zst));
            await using var file = File.Create(tar);
            await input.CopyToAsync(file);
        }
        var fromZst = Path.Combine(_cli.Root, "zst");
        var fromGz = Path.Combine(_cli.Root, "gz");
        Directory.CreateDirectory(fromZst);
        CliHarness.Sh($"tar -xpf '{tar}' -C '{fromZst}'");
        Extract(gz, fromGz);
        AssertChecksums(fromZst, ReadMetadata(fromZst));
        Assert.Equal(ReadMetadata(fromGz).Files, ReadMetadata(fromZst).Files);
        TreeAssert.Equal(Path.Combine(fromGz, "data"), Path.Combine(fromZst, "data"));
    }

    private string WriteJobConfig(string src)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, $$"""
            instance: research
            environments:
              prod: {}
            targets:
              primary: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            jobs:
              platform:
                targets: [primary]
                tags: [nightly]
                components:
                  - {name: etc, type: files, paths: [{{src}}]}
                  - name: k8s
                    type: command
                    command: [printf, "kind: List\\nitems: []\\n"]
                    file_name: cluster/all.yaml
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
        return path;
    }

    [Fact]
    public async Task A_job_snapshot_exports_whole_or_one_component_with_the_manifest_in_metadata_json_and_never_overwrites()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        // tar's PAX times have 100 ns steps (System.Formats.Tar's resolution), so the tree compares exactly when on them.
        CliHarness.Sh($"find '{src}' -exec touch -h -d @1577934245.1234567 {{}} +");
        WriteJobConfig(src);
        await _cli.RunAsync(0, "job", "run", "platform");
        var output = Output();

        var whole = (await _cli.RunAsync(0, "export", "latest", "--output", output, "--json")).Json.GetProperty("path").GetString()!;
        Assert.Matches(@"^platform-research-\d{8}T\d{6}Z\.tar\.gz$", Path.GetFileName(whole));
        var all = Path.Combine(_cli.Root, "all");
        Extract(whole, all);
        Assert.Equal("kind: List\nitems: []\n", File.ReadAllText(Path.Combine(all, "data", "k8s", "cluster", "all.yaml")));
        TreeAssert.Equal(src, Path.Combine(all, "data", "etc", src.TrimStart('/')));
        var metadata = ReadMetadata(all);
        AssertChecksums(all, metadata);
        Assert.Equal(("platform", "research", (string?)null), (metadata.Snapshot.Job, metadata.Snapshot.Instance, metadata.Component));
        Assert.Equal(["nightly"], metadata.Snapshot.Tags);
        Assert.Equal(["etc", "k8s"], metadata.Components.Select(c => c.Name));
        var k8s = metadata.Components[1];
        Assert.Equal(("command", "printf", "standard output", 21L), (k8s.Type, k8s.Tool, k8s.Format, k8s.Bytes));
        Assert.Equal(["cluster/all.yaml"], k8s.Items);
        Assert.StartsWith("cairn ", metadata.Components[0].Tool);

        // One component: only its files, and its name in the archive's.
        var one = (await _cli.RunAsync(0, "export", "latest", "--component", "k8s", "--output", output, "--json")).Json.GetProperty("path").GetString()!;
        Assert.Matches(@"^platform-research-k8s-\d{8}T\d{6}Z\.tar\.gz$", Path.GetFileName(one));
        var listing = CliHarness.Sh($"tar -tzf '{one}'").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["metadata.json", "data/", "data/k8s/", "data/k8s/cluster/", "data/k8s/cluster/all.yaml"], listing);
        var part = Path.Combine(_cli.Root, "part");
        Extract(one, part);
        var partMetadata = ReadMetadata(part);
        AssertChecksums(part, partMetadata);
        Assert.Equal("k8s", partMetadata.Component);
        Assert.Equal("k8s", Assert.Single(partMetadata.Components).Name);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("kind: List\nitems: []\n"u8)), Assert.Single(partMetadata.Files).Sha256);

        // The same names again: _1, then _2; the first archives are untouched.
        var before = File.ReadAllBytes(whole);
        var second = (await _cli.RunAsync(0, "export", "latest", "--output", output, "--json")).Json.GetProperty("path").GetString()!;
        var third = (await _cli.RunAsync(0, "export", "latest", "--output", output, "--json")).Json.GetProperty("path").GetString()!;
        Assert.Equal(whole[..^".tar.gz".Length] + "_1.tar.gz", second);
        Assert.Equal(whole[..^".tar.gz".Length] + "_2.tar.gz", third);
        Assert.Equal(before, File.ReadAllBytes(whole));
        Assert.Equal(4, Directory.GetFiles(output).Length);
    }

    [Fact]
    public async Task Unknown_component_missing_output_directory_and_a_plain_snapshot_with_component_are_one_line_errors_leaving_no_file()
    {
        await _cli.InitAsync();
        var src = _cli.MakeTree();
        WriteJobConfig(src);
        await _cli.RunAsync(0, "job", "run", "platform");
        var output = Output();

        CliHarness.AssertOneLine(await _cli.RunAsync(17, "export", "latest", "--component", "db", "--output", output), "has no component 'db': it has etc, k8s");
        var missing = Path.Combine(_cli.Root, "no-such-dir");
        CliHarness.AssertOneLine(await _cli.RunAsync(2, "export", "latest", "--output", missing), $"the output directory {missing} does not exist");
        Assert.Contains("'zip' not recognized", (await _cli.RunAsync(2, "export", "latest", "--output", output, "--format", "zip")).Stderr);
        await _cli.RunAsync(0, "backup", src);
        CliHarness.AssertOneLine(await _cli.RunAsync(17, "export", "latest", "--component", "etc", "--output", output), "it was not made by a job");
        CliHarness.AssertOneLine(await _cli.RunAsync(17, "export", "feedbeef", "--output", output), "feedbeef");
        Assert.Empty(Directory.GetFileSystemEntries(output));
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task An_export_cancelled_midway_leaves_no_file_under_the_final_name_nor_a_temporary_one()
    {
        await _cli.InitAsync();
        var src = Path.Combine(_cli.Root, "big");
        Directory.CreateDirectory(src);
        for (int i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(src, $"f{i}"), CliHarness.RandomBytes(6_000_000, i));
        await _cli.RunAsync(0, "backup", src);
        var output = Output();
        using var cancel = new CancellationTokenSource();
        var env = new Cairn.Cli.CliEnvironment(new MemoryStream(), new StringWriter(), _cli.Env, interactive: false, stderrIsTerminal: false);
        var run = Cairn.Cli.Program.RunAsync(["export", "latest", "--output", output], env, cancel.Token);
        // Cancel once the temporary file exists, i.e. while the archive is being written.
        var watch = Stopwatch.StartNew();
        while (Directory.GetFiles(output).Length == 0 && watch.Elapsed < TimeSpan.FromSeconds(60) && !run.IsCompleted) await Task.Delay(5);
        bool sawTemporary = Directory.GetFiles(output).Any(f => Path.GetFileName(f).StartsWith('.') && f.Contains(".partial-", StringComparison.Ordinal));
        await cancel.CancelAsync();
        int code = await run;
        Assert.True(sawTemporary && code == 130, $"temporary seen: {sawTemporary}, exit {code}");
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }
}
