using Cairn.Tests.Cli;

namespace Cairn.Tests.Crash;

/// <summary>
/// A repository on a small tmpfs (mounting needs root, as CI runs the tests; without it the mount fails and the test says
/// so): a backup that fills it fails cleanly with exit 15, check passes, and once space is freed the next backup completes.
/// </summary>
[Collection(CrashCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DiskFullTests
{
    private const int MiB = 1 << 20;

    [Fact]
    public async Task A_backup_that_fills_the_disk_exits_15_leaves_a_repository_that_checks_clean_and_the_next_one_completes()
    {
        using var lab = CrashLab.Create(seed: 31, repositoryIn: root => Path.Combine(root, "small", "repo"));
        var small = Path.GetDirectoryName(lab.Repository)!;
        Directory.CreateDirectory(small);
        CliHarness.Sh($"mount -t tmpfs -o size=48m tmpfs '{small}'");
        try
        {
            // Space someone else uses on the same filesystem, freed later.
            var filler = Path.Combine(small, "filler");
            File.WriteAllBytes(filler, CliHarness.RandomBytes(28 * MiB, 1));
            await lab.InitAsync(packSize: 1 * MiB);
            lab.Source.AddData(3 * MiB);
            await lab.BackupAsync();

            // 20 MiB more does not fit in the ~17 MiB left: some packs are stored, then a write fails.
            lab.Source.ChangeSome();
            lab.Source.AddData(20 * MiB);
            var seen = lab.Source.Manifest();
            var full = await lab.Cairn.RunAsync(15, lab.BackupArgs);
            var error = Assert.Single(full.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("cairn: no space left on", error);

            var check = await lab.AssertIntactAfterCrashAsync(seen, "disk full");
            Assert.True(check.GetProperty("unreferenced_packs").GetArrayLength() > 0, "the backup failed before it stored any pack");
            Assert.Empty(Directory.EnumerateFiles(lab.Repository, ".tmp-*", SearchOption.AllDirectories)); // the failed write gave its space back
            // Another try while the disk is still full fails the same way and changes nothing.
            await lab.Cairn.RunAsync(15, lab.BackupArgs);

            // The packs the failed backup stored are in no index, so they are not reused (until a prune removes them they
            // take space): the freed space must hold all the new data again.
            File.Delete(filler);
            await lab.BackupAsync();
            await lab.AssertEverythingRestoresAsync();
        }
        finally
        {
            CliHarness.Sh($"umount '{small}'");
        }
    }
}
