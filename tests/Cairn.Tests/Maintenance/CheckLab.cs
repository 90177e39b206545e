using System.Text;
using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Content.Index;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;
using Cairn.Storage;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Maintenance;

/// <summary>
/// A repository with many small packs (256 KiB target, so each 300 kB random file fills a pack of its own), backed up
/// through the CLI, plus the tools to find where a file's chunk lives and to damage packs and index files.
/// </summary>
internal sealed class CheckLab : IDisposable
{
    public const int PackSize = 256 * 1024;
    public const int BigFiles = 6;

    private CheckLab() { }

    public CliHarness Cli { get; } = new();

    public string Source => Path.Combine(Cli.Root, "src");

    /// <summary>Creates the repository and one backup of <see cref="Source"/>.</summary>
    public static async Task<CheckLab> CreateAsync()
    {
        var lab = new CheckLab();
        // Initialised through the library: the pack size is not a command-line option.
        await using (var repository = await Repository.InitAsync(new LocalBlobStore(lab.Cli.Repo), Encoding.UTF8.GetBytes(CliHarness.Password),
                         new RepositoryInitOptions { Kdf = KdfParameters.ForTests, PackSize = PackSize }, TimeProvider.System, CancellationToken.None))
        {
        }
        Directory.CreateDirectory(Path.Combine(lab.Source, "sub", "deeper"));
        for (int i = 0; i < BigFiles; i++) File.WriteAllBytes(lab.FilePath($"f{i}.bin"), CliHarness.RandomBytes(300_000, 100 + i));
        File.WriteAllText(lab.FilePath("sub/small.txt"), "small file\n");
        File.WriteAllBytes(lab.FilePath("sub/deeper/d.bin"), CliHarness.RandomBytes(50_000, 99));
        await lab.Cli.RunAsync(0, "backup", lab.Source, "-q");
        return lab;
    }

    public string FilePath(string relative) => Path.Combine(Source, relative);

    public string PackPath(ObjectId pack) => Path.Combine(Cli.Repo, "data", pack.ToString()[..2], pack.ToString());

    public string[] PackFiles() => Directory.GetFiles(Path.Combine(Cli.Repo, "data"), "*", SearchOption.AllDirectories);

    public string[] IndexFiles() => Directory.GetFiles(Path.Combine(Cli.Repo, "index"));

    public async Task<Repository> OpenAsync() =>
        await Repository.OpenAsync(new LocalBlobStore(Cli.Repo), Encoding.UTF8.GetBytes(CliHarness.Password), CancellationToken.None);

    public async Task<Snapshot> LatestAsync(Repository repository) =>
        await repository.FindSnapshotAsync("latest", SnapshotFilter.All, CancellationToken.None);

    /// <summary>The entry at a path below <see cref="Source"/> in the latest snapshot.</summary>
    public async Task<Node> NodeAsync(Repository repository, string relative)
    {
        var tree = (await LatestAsync(repository)).Tree;
        Node? node = null;
        foreach (var name in (Source + "/" + relative).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = (await repository.LoadTreeAsync(tree, CancellationToken.None)).Find(Encoding.UTF8.GetBytes(name));
            Assert.NotNull(node);
            tree = node.Subtree;
        }
        return node!;
    }

    /// <summary>Where the (single) chunk of a file below <see cref="Source"/> is stored.</summary>
    public async Task<BlobLocation> ChunkOfAsync(string relative)
    {
        await using var repository = await OpenAsync();
        var node = await NodeAsync(repository, relative);
        Assert.True(repository.Content.Index.TryGet(Assert.Single(node.Content!), out var location));
        return location;
    }

    /// <summary>Where the tree of a directory below <see cref="Source"/> is stored.</summary>
    public async Task<BlobLocation> TreeOfAsync(string relative)
    {
        await using var repository = await OpenAsync();
        var node = await NodeAsync(repository, relative);
        Assert.True(repository.Content.Index.TryGet(node.Subtree, out var location));
        return location;
    }

    /// <summary>A big file whose chunk's pack holds data only, so losing that pack loses no tree.</summary>
    public async Task<(string File, BlobLocation Location)> FileInDataOnlyPackAsync()
    {
        await using var repository = await OpenAsync();
        for (int i = 0; i < BigFiles; i++)
        {
            var file = $"f{i}.bin";
            var node = await NodeAsync(repository, file);
            Assert.True(repository.Content.Index.TryGet(Assert.Single(node.Content!), out var location));
            if (repository.Content.Index.Entries.All(e => e.Value.PackId != location.PackId || e.Value.Entry.Type == ObjectType.Data))
                return (file, location);
        }
        throw new InvalidOperationException("every big file shares its pack with a tree");
    }

    public void FlipBit(ObjectId pack, long offset)
    {
        var path = PackPath(pack);
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(path, bytes);
    }

    public void Truncate(ObjectId pack, long length)
    {
        using var stream = new FileStream(PackPath(pack), FileMode.Open);
        stream.SetLength(length);
    }

    public async Task<CliResult> CheckAsync(int expectedExit, params string[] extra) =>
        await Cli.RunAsync(expectedExit, ["check", "--json", .. extra]);

    public void Dispose() => Cli.Dispose();
}
