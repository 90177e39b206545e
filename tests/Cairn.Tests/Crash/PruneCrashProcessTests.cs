using System.Diagnostics;
using Xunit.Abstractions;

namespace Cairn.Tests.Crash;

/// <summary>
/// kill -9 of the real cairn executable in the middle of a prune, at each phase boundary: while repacking, after
/// writing the new index, while deleting superseded index files and while deleting packs. Afterwards check passes,
/// every remaining snapshot restores byte-identical, and the next prune finishes the job.
/// </summary>
[Collection(CrashCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PruneCrashProcessTests(ITestOutputHelper output)
{
    private const int MiB = 1 << 20;
    private const int MaxFile = 64 << 10;

    [Fact]
    public async Task A_prune_killed_at_each_phase_boundary_loses_no_snapshot_and_the_next_prune_completes()
    {
        // 256 KiB packs of files up to 64 KiB: a forgotten snapshot's 3 MiB of unique data spans a dozen packs, and the changed files leave
        // partly used packs for --max-unused 0 to repack.
        using var lab = await CrashLab.CreateAsync(seed: 23, packSize: 256 << 10);
        lab.Cairn.Log = r => output.WriteLine(r.Summary);
        lab.Source.AddData(3 * MiB, MaxFile);
        await lab.BackupAsync();

        string[] points =
        [
            "pack-uploaded:1", // repacking: new packs stored, no index names them yet
            "prune-index-written:1", // the new index file is written; the old ones are still there
            "prune-index-deleted:1", // some superseded index files are gone, others not
            "prune-pack-deleted:3", // some obsolete packs are gone, others not
        ];
        var clock = Stopwatch.StartNew();
        foreach (var point in points)
        {
            // New data in, the oldest data out of the source; forgetting the oldest snapshot makes its data unused.
            lab.Source.ChangeSome();
            lab.Source.AddData(3 * MiB, MaxFile);
            lab.Source.RemoveOldest();
            await lab.BackupAsync();
            await lab.ForgetOldestAsync();
            var snapshots = lab.SnapshotFiles();

            await lab.Cairn.CrashAtAsync(point, "prune", "--max-unused", "0", "-q");
            var check = await lab.AssertIntactAfterCrashAsync(lab.Source.Manifest(), point);
            Assert.Equal(snapshots.Order(), lab.SnapshotFiles().Order());

            // The next prune completes what the killed one started: afterwards nothing unused and nothing unindexed is left.
            var prune = (await lab.Cairn.RunAsync(0, "prune", "--max-unused", "0", "--json")).Json;
            var after = (await lab.Cairn.RunAsync(0, "check", "--json")).Json;
            Assert.True(after.GetProperty("clean").GetBoolean(), $"{point}: check after the completing prune: {after}");
            Assert.Equal(0, after.GetProperty("unreferenced_packs").GetArrayLength());
            Assert.Single(Directory.GetFiles(Path.Combine(lab.Repository, "index")));
            output.WriteLine($"{point}: {clock.Elapsed.TotalSeconds:F1} s, {check.GetProperty("unreferenced_packs").GetArrayLength()} unreferenced packs after the crash; completing prune: {prune.GetProperty("result")}");
        }
        await lab.AssertEverythingRestoresAsync();
        output.WriteLine($"all: {clock.Elapsed.TotalSeconds:F1} s");
    }
}
