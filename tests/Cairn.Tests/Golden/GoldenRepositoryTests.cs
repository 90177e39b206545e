using System.Security.Cryptography;
using System.Text;
using Cairn.Archiving.Backup;
using Cairn.Archiving.Restore;
using Cairn.Content.Crypto;
using Cairn.Snapshots;
using Cairn.Storage;

namespace Cairn.Tests.Golden;

/// <summary>
/// A small repository written by format version 1 is checked in under Golden/repository-v1. Every later build must
/// still open it and restore exactly these files, so format changes cannot silently break old repositories.
/// To regenerate (only when deliberately creating a new golden version): CAIRN_WRITE_GOLDEN=1 dotnet test --filter Golden.
/// </summary>
public sealed class GoldenRepositoryTests
{
    private const string Password = "golden password";

    // Path → content. Covers compressible text, incompressible bytes, a multi-chunk file and an empty file.
    private static Dictionary<string, byte[]> Files()
    {
        var random = new Random(2026);
        var incompressible = new byte[70_000];
        random.NextBytes(incompressible);
        var large = new byte[1_800_000];
        random.NextBytes(large);
        return new Dictionary<string, byte[]>
        {
            ["readme.txt"] = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Cairn golden repository, format version 1.\n", 200))),
            ["data/random.bin"] = incompressible,
            ["data/large.bin"] = large,
            ["data/empty"] = [],
        };
    }

    private static string SourceDirectory => Path.Combine(AppContext.BaseDirectory, "Golden", "repository-v1");

    private static string CheckedInDirectory([System.Runtime.CompilerServices.CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "repository-v1");

    [Fact]
    public async Task Version_1_repository_still_opens_and_restores_exactly()
    {
        if (Environment.GetEnvironmentVariable("CAIRN_WRITE_GOLDEN") == "1") await WriteGoldenAsync(CheckedInDirectory());
        Assert.True(File.Exists(Path.Combine(SourceDirectory, "config")), "the golden repository is missing from the test output");

        // Work on a copy: opening must not need to write, but a test must never risk the checked-in files.
        var copy = Path.Combine(Path.GetTempPath(), "cairn-golden-" + Guid.NewGuid().ToString("N"));
        var target = copy + "-restore";
        CopyDirectory(SourceDirectory, copy);
        try
        {
            await using var repository = await Repository.OpenAsync(new LocalBlobStore(copy), Encoding.UTF8.GetBytes(Password), CancellationToken.None);
            var snapshots = await repository.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None);
            var snapshot = Assert.Single(snapshots);
            Assert.Equal("golden-host", snapshot.Hostname);
            Assert.Equal(["golden"], snapshot.Tags);
            Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), snapshot.Time);
            Assert.Equal(SnapshotStatus.Complete, snapshot.Status);

            var result = await new Restorer(repository, snapshot, new RestoreOptions { Target = target, Verify = true }).RunAsync(CancellationToken.None);
            Assert.Empty(result.Errors);
            var root = Path.Combine(target, snapshot.Paths[0].TrimStart('/'));
            foreach (var (path, content) in Files())
                Assert.Equal(SHA256.HashData(content), SHA256.HashData(File.ReadAllBytes(Path.Combine(root, path))));
            Assert.Equal(Files().Count, Directory.GetFiles(root, "*", SearchOption.AllDirectories).Length);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        }
    }

    /// <summary>
    /// Version 1 writers put trees and data in the same packs; later writers keep them apart so data packs can go to an
    /// archive class. Both layouts live side by side in one repository: the old pack counts as hot (it holds trees), new
    /// backups write packs of one type each, and check finds nothing wrong.
    /// </summary>
    [Fact]
    public async Task Version_1_packs_mixing_trees_and_data_stay_hot_beside_the_new_layout()
    {
        var copy = Path.Combine(Path.GetTempPath(), "cairn-golden-" + Guid.NewGuid().ToString("N"));
        var source = copy + "-source";
        CopyDirectory(SourceDirectory, copy);
        try
        {
            await using var repository = await Repository.OpenAsync(new LocalBlobStore(copy), Encoding.UTF8.GetBytes(Password), CancellationToken.None);
            var old = repository.Content.Index.Entries.GroupBy(e => e.Value.PackId).Single();
            Assert.Equal([Cairn.Content.ObjectType.Data, Cairn.Content.ObjectType.Tree], old.Select(e => e.Value.Entry.Type).Distinct().Order());
            Assert.Equal(StorageTier.Hot, Cairn.Content.ContentStore.TierOf([.. old.Select(e => e.Value.Entry)]));

            Directory.CreateDirectory(source);
            File.WriteAllText(Path.Combine(source, "new.txt"), "written by a later version\n");
            await new Archiver(repository, new BackupOptions { Paths = [source] }, TimeProvider.System).RunAsync(CancellationToken.None);
            var packs = repository.Content.Index.Entries.Where(e => e.Value.PackId != old.Key).GroupBy(e => e.Value.PackId).ToList();
            Assert.Equal(2, packs.Count);
            Assert.All(packs, p => Assert.Single(p.Select(e => e.Value.Entry.Type).Distinct()));

            await using var reopened = await Repository.OpenAsync(new LocalBlobStore(copy), Encoding.UTF8.GetBytes(Password), CancellationToken.None, loadIndex: false);
            var report = await new Cairn.Maintenance.Check.Checker(reopened, new Cairn.Maintenance.Check.CheckOptions { ReadData = Cairn.Maintenance.Check.PackSubset.All })
                .RunAsync(CancellationToken.None);
            Assert.True(report.IsClean);
            Assert.Equal(3, report.PacksRead);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
            if (Directory.Exists(source)) Directory.Delete(source, recursive: true);
        }
    }

    private static async Task WriteGoldenAsync(string destination)
    {
        if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
        var source = Path.Combine(Path.GetTempPath(), "cairn-golden-source");
        if (Directory.Exists(source)) Directory.Delete(source, recursive: true);
        foreach (var (path, content) in Files())
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, path))!);
            File.WriteAllBytes(Path.Combine(source, path), content);
        }
        await using var repository = await Repository.InitAsync(new LocalBlobStore(destination), Encoding.UTF8.GetBytes(Password),
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        await new Archiver(repository, new BackupOptions
        {
            Paths = [source],
            Hostname = "golden-host",
            Tags = ["golden"],
            Time = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero),
        }, TimeProvider.System).RunAsync(CancellationToken.None);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
