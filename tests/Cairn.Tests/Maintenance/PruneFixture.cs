using Cairn.Archiving.Backup;
using Cairn.Archiving.Restore;
using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Maintenance.Prune;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Maintenance;

/// <summary>
/// A repository in a temp directory plus a source directory whose content each backup sets exactly, remembering what
/// every snapshot must restore to. Snapshots are "forgotten" by deleting their files, as forget does.
/// </summary>
internal sealed class PruneFixture : IAsyncDisposable
{
    public const string Password = "prune test";

    private readonly Dictionary<ObjectId, Dictionary<string, byte[]>> _expected = [];

    private PruneFixture(string root, Repository repository)
    {
        Root = root;
        Repository = repository;
    }

    public string Root { get; }

    public string RepositoryPath => Path.Combine(Root, "repo");

    public string Source => Path.Combine(Root, "source");

    public Repository Repository { get; private set; }

    /// <summary>The snapshots not forgotten, oldest first.</summary>
    public List<ObjectId> Snapshots { get; } = [];

    public static async Task<PruneFixture> CreateAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "cairn-prune-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(root, "source"));
        var repository = await Repository.InitAsync(new LocalBlobStore(Path.Combine(root, "repo")), System.Text.Encoding.UTF8.GetBytes(Password),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        return new PruneFixture(root, repository);
    }

    /// <summary>Random bytes, one chunk each when under the chunker's 512 KiB minimum; the seed names the content.</summary>
    public static byte[] Data(int seed, int length = 300_000)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Makes the source hold exactly <paramref name="files"/> (name → content) and backs it up.</summary>
    public async Task<ObjectId> BackupAsync(Dictionary<string, byte[]> files)
    {
        foreach (var existing in Directory.GetFiles(Source)) File.Delete(existing);
        foreach (var (name, content) in files) await File.WriteAllBytesAsync(Path.Combine(Source, name), content);
        var result = await new Archiver(Repository, new BackupOptions { Paths = [Source] }, TimeProvider.System).RunAsync(CancellationToken.None);
        Assert.Equal(SnapshotStatus.Complete, result.Snapshot.Status);
        _expected[result.Snapshot.Id] = new Dictionary<string, byte[]>(files);
        Snapshots.Add(result.Snapshot.Id);
        return result.Snapshot.Id;
    }

    /// <summary>Backs up files named by seed: "f{seed}" holds <see cref="Data"/>(seed).</summary>
    public Task<ObjectId> BackupSeedsAsync(params int[] seeds) => BackupAsync(seeds.ToDictionary(s => $"f{s}", s => Data(s)));

    public async Task ForgetAsync(ObjectId snapshot)
    {
        await Repository.Blobs.DeleteAsync(new BlobName(BlobKind.Snapshot, snapshot.ToString()));
        Snapshots.Remove(snapshot);
    }

    /// <summary>Opens the repository again, as a new process would (over <paramref name="store"/> if given).</summary>
    public async Task<Repository> ReopenAsync(IBlobStore? store = null)
    {
        await Repository.DisposeAsync();
        Repository = await Repository.OpenAsync(store ?? new LocalBlobStore(RepositoryPath), System.Text.Encoding.UTF8.GetBytes(Password), CancellationToken.None);
        return Repository;
    }

    /// <summary>Plans and carries out a prune on a freshly opened repository.</summary>
    public async Task<(PrunePlan Plan, PruneResult Result)> PruneAsync(PruneOptions? options = null, IBlobStore? store = null)
    {
        options ??= new PruneOptions();
        var repository = await ReopenAsync(store);
        var plan = await PrunePlanner.PlanAsync(repository, options, CancellationToken.None);
        var result = await Pruner.ExecuteAsync(repository, plan, options, CancellationToken.None);
        return (plan, result);
    }

    /// <summary>Restores every remaining snapshot from a freshly opened repository and compares it byte for byte.</summary>
    public async Task AssertAllRestorableAsync()
    {
        var repository = await ReopenAsync();
        var listed = (await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None)).Select(s => s.Id).Order().ToList();
        Assert.Equal(Snapshots.Order().ToList(), listed);
        foreach (var id in Snapshots)
        {
            var target = Path.Combine(Root, "restore-" + Guid.NewGuid().ToString("N")[..8]);
            var snapshot = await repository.LoadSnapshotAsync(id, CancellationToken.None);
            var result = await new Restorer(repository, snapshot, new RestoreOptions { Target = target, Verify = true }).RunAsync(CancellationToken.None);
            Assert.Empty(result.Errors);
            var restored = Path.Combine(target, Source.TrimStart('/'));
            var files = Directory.GetFiles(restored).ToDictionary(f => Path.GetFileName(f)!, f => File.ReadAllBytes(f));
            var expected = _expected[id];
            Assert.Equal(expected.Keys.Order(), files.Keys.Order());
            foreach (var (name, content) in expected) Assert.True(content.AsSpan().SequenceEqual(files[name]), $"snapshot {id.ToShortString()}: {name} differs");
            Directory.Delete(target, recursive: true);
        }
    }

    /// <summary>Bytes of all pack files.</summary>
    public long PackBytes => PackFiles().Sum(f => new FileInfo(f).Length);

    public List<string> PackFiles() =>
        Directory.Exists(Path.Combine(RepositoryPath, "data")) ? [.. Directory.GetFiles(Path.Combine(RepositoryPath, "data"), "*", SearchOption.AllDirectories).Order()] : [];

    /// <summary>Packs of file data; every backup writes its trees to packs of their own (<see cref="TreePackFiles"/>).</summary>
    public List<string> DataPackFiles() => [.. PackFiles().Where(p => !HoldsTrees(p))];

    /// <summary>Packs of trees.</summary>
    public List<string> TreePackFiles() => [.. PackFiles().Where(HoldsTrees)];

    private bool HoldsTrees(string pack) =>
        Cairn.Content.Packs.PackFormat.ReadHeader(File.ReadAllBytes(pack), Repository.Content.Cipher, pack).Exists(e => e.Type == ObjectType.Tree);

    public List<string> IndexFiles() => [.. Directory.GetFiles(Path.Combine(RepositoryPath, "index")).Order()];

    /// <summary>Every file of the repository with a hash of its content, to prove that nothing changed.</summary>
    public Dictionary<string, string> RepositoryState() =>
        Directory.GetFiles(RepositoryPath, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(RepositoryPath, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    /// <summary>Copies the repository directory, so a run can be repeated from the same starting point.</summary>
    public void CopyRepositoryTo(string destination) => CopyDirectory(RepositoryPath, destination);

    /// <summary>Replaces the repository with a copy made by <see cref="CopyRepositoryTo"/>.</summary>
    public async Task RestoreRepositoryFromAsync(string copy)
    {
        await Repository.DisposeAsync();
        Directory.Delete(RepositoryPath, recursive: true);
        CopyDirectory(copy, RepositoryPath);
        Repository = await Repository.OpenAsync(new LocalBlobStore(RepositoryPath), System.Text.Encoding.UTF8.GetBytes(Password), CancellationToken.None);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Repository.DisposeAsync();
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
