using System.Text;
using Cairn.Content.Crypto;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Crash;

/// <summary>
/// A repository, a changing source tree and the real cairn executable, with a record of every snapshot taken and what
/// the source held at that moment: what crash tests need to kill a command and then prove that nothing earlier was lost.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class CrashLab : IDisposable
{
    public const string Password = "crash password";

    private readonly List<(string Id, Manifest Source)> _snapshots = [];
    private readonly HashSet<string> _restored = [];

    private CrashLab(string root, int seed, string? repository)
    {
        Root = root;
        Source = new SourceTree(Path.Combine(root, "src"), seed);
        Cairn = new CairnProcess(root, repository ?? Path.Combine(root, "repo"), Password);
    }

    public string Root { get; }

    public SourceTree Source { get; }

    public CairnProcess Cairn { get; }

    public string Repository => Cairn.Repository;

    /// <summary>Snapshots known to be complete, oldest first, with the source as it was when each was taken.</summary>
    public IReadOnlyList<(string Id, Manifest Source)> Snapshots => _snapshots;

    /// <summary>A lab in a fresh temp directory; the repository is there too unless <paramref name="repositoryIn"/> says where.</summary>
    public static CrashLab Create(int seed, Func<string, string>? repositoryIn = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "cairn-crash-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        return new CrashLab(root, seed, repositoryIn?.Invoke(root));
    }

    /// <summary>
    /// Creates the repository through the library, with small packs (<paramref name="packSize"/>) so a backup of a few
    /// dozen megabytes uploads hundreds of packs and writes an index file every 128 of them, as a long backup would.
    /// </summary>
    public async Task InitAsync(int packSize)
    {
        await using var repository = await global::Cairn.Snapshots.Repository.InitAsync(new LocalBlobStore(Repository),
            Encoding.UTF8.GetBytes(Password), new RepositoryInitOptions { Kdf = KdfParameters.ForTests, PackSize = packSize },
            TimeProvider.System, CancellationToken.None);
    }

    /// <summary>A lab with its repository initialised.</summary>
    public static async Task<CrashLab> CreateAsync(int seed, int packSize)
    {
        var lab = Create(seed);
        await lab.InitAsync(packSize);
        return lab;
    }

    public string[] BackupArgs => ["backup", Source.Path, "--json", "-q"];

    /// <summary>Runs a backup to completion and records its snapshot with the source as it is now.</summary>
    public async Task<ProcessResult> BackupAsync()
    {
        var manifest = Source.Manifest();
        var result = await Cairn.RunAsync(0, BackupArgs);
        _snapshots.Add((result.Json.GetProperty("snapshot_id").GetString()!, manifest));
        return result;
    }

    /// <summary>
    /// What must hold after any crash: check exits 0 (packs no index names are allowed), the snapshots are exactly the
    /// recorded ones, plus the crashed backup's own if it got as far as writing it (<paramref name="crashedSource"/> is
    /// what that backup saw), and the newest earlier snapshot restores byte-identical.
    /// </summary>
    public async Task<System.Text.Json.JsonElement> AssertIntactAfterCrashAsync(Manifest crashedSource, string what)
    {
        var check = await Cairn.RunAsync(0, "check", "--json");
        Assert.True(check.Json.GetProperty("clean").GetBoolean(), $"{what}: {check}");
        // Snapshot files are named by their ids; reading the folder saves a process per round.
        var ids = SnapshotFiles();
        Assert.Equal(ids.Count, check.Json.GetProperty("snapshots").GetInt32());
        var known = _snapshots.Select(s => s.Id).ToList();
        var extra = ids.Except(known).ToList();
        Assert.True(known.All(ids.Contains), $"{what}: a snapshot went missing: had {string.Join(", ", known)}, now {string.Join(", ", ids)}");
        Assert.True(extra.Count <= 1, $"{what}: more than one new snapshot: {string.Join(", ", extra)}");
        // A backup killed after writing its snapshot has made a complete one; it must restore like any other.
        if (extra.Count == 1) _snapshots.Add((extra[0], crashedSource));
        if (_snapshots.Count > 0) await AssertRestoresAsync(_snapshots[^1].Id, _snapshots[^1].Source, what);
        return check.Json;
    }

    /// <summary>Restores a snapshot with the real executable and compares it with the source as it was.</summary>
    public async Task AssertRestoresAsync(string snapshotId, Manifest expected, string what)
    {
        var target = Path.Combine(Root, "restore-" + Guid.NewGuid().ToString("N")[..8]);
        await Cairn.RunAsync(0, "restore", snapshotId, "--target", target, "-q");
        _restored.Add(snapshotId);
        try
        {
            expected.AssertSameAs(Manifest.Of(target + Source.Path), $"{what}: snapshot {snapshotId[..8]} restored");
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    /// <summary>
    /// The final word: check --read-data reads and verifies every blob of every pack, and each snapshot not restored yet
    /// is. Together with the structure check after every crash (every blob of every snapshot indexed, in a pack that
    /// exists with the indexed size), that shows every snapshot restorable without restoring each of them again and again.
    /// </summary>
    public async Task AssertEverythingRestoresAsync()
    {
        var check = await Cairn.RunAsync(0, "check", "--read-data", "--json");
        Assert.True(check.Json.GetProperty("clean").GetBoolean(), check.ToString());
        foreach (var (id, source) in _snapshots.Where(s => !_restored.Contains(s.Id)).ToList()) await AssertRestoresAsync(id, source, "at the end");
    }

    /// <summary>Forgets the oldest recorded snapshot with the real executable, so a prune has its data to reclaim.</summary>
    public async Task ForgetOldestAsync()
    {
        await Cairn.RunAsync(0, "forget", _snapshots[0].Id, "-q");
        _restored.Remove(_snapshots[0].Id);
        _snapshots.RemoveAt(0);
    }

    public List<string> SnapshotFiles()
    {
        var folder = Path.Combine(Repository, "snapshots");
        return Directory.Exists(folder) ? [.. Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Where(n => !n.StartsWith('.'))] : [];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
