using System.Diagnostics;
using Xunit.Abstractions;

namespace Cairn.Tests.Crash;

/// <summary>
/// kill -9 of the real cairn executable in the middle of a backup, at named points and at seeded random moments.
/// Afterwards check passes, every earlier snapshot restores byte-identical, and the next backup completes.
/// </summary>
[Collection(CrashCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class BackupCrashTests(ITestOutputHelper output)
{
    private const int MiB = 1 << 20;
    private const int MaxFile = 192 << 10;

    [Fact]
    public async Task A_backup_killed_at_each_crash_point_loses_nothing_earlier_and_the_next_backup_completes()
    {
        // 64 KiB packs and files of 16-192 KiB (one chunk each): 4 MiB of new data fills ~40 packs, and 20 MiB ~170,
        // so that the eighth index file (one is written every 16 packs: 128 packs) comes long before the end of the backup.
        using var lab = await CrashLab.CreateAsync(seed: 11, packSize: 64 << 10);
        lab.Cairn.Log = r => output.WriteLine(r.Summary);
        lab.Source.AddData(8 * MiB, MaxFile);
        await lab.BackupAsync();

        (string Point, int NewMiB)[] rounds =
        [
            ("put-temp-written:3", 4), // inside a put: the temporary file is written and synced, not yet renamed
            ("pack-uploaded:9", 4),
            ("index-written:8", 20), // the eighth index file, written after 128 packs, long before the end
            ("before-snapshot", 4), // after the final index file, before the snapshot
            ("after-snapshot", 4),
        ];
        var clock = Stopwatch.StartNew();
        int unreferencedBefore = 0;
        foreach (var (point, newMiB) in rounds)
        {
            lab.Source.ChangeSome();
            lab.Source.AddData(newMiB * MiB, MaxFile);
            if (point == "index-written:8") lab.Source.RemoveOldest();
            var seen = lab.Source.Manifest();
            int snapshotsBefore = lab.Snapshots.Count;

            await lab.Cairn.CrashAtAsync(point, lab.BackupArgs);
            var check = await lab.AssertIntactAfterCrashAsync(seen, point);

            // What the crash left behind, beyond what earlier crashes left (nothing removes it until a prune).
            int unreferenced = check.GetProperty("unreferenced_packs").GetArrayLength() - unreferencedBefore;
            unreferencedBefore += unreferenced;
            int tempFiles = Directory.EnumerateFiles(lab.Repository, ".tmp-*", SearchOption.AllDirectories).Count();
            switch (point)
            {
                case "put-temp-written:3":
                    // The third put died before its rename and left its temporary file (and those of the packs being
                    // filled meanwhile), which no listing shows. Before it, the lock file and one pack were stored.
                    Assert.Equal(1, unreferenced);
                    Assert.True(tempFiles >= 1, "the put that was killed left no temporary file");
                    break;
                case "pack-uploaded:9":
                    Assert.Equal(9, unreferenced);
                    break;
                case "index-written:8" or "before-snapshot" or "after-snapshot":
                    Assert.Equal(0, unreferenced); // every pack uploaded is in an index file
                    break;
            }
            // Only a backup killed after writing its snapshot has one more, and it restored above like the others.
            Assert.Equal(snapshotsBefore + (point == "after-snapshot" ? 1 : 0), lab.Snapshots.Count);

            var next = (await lab.BackupAsync()).Json;
            long added = next.GetProperty("data_added").GetInt64();
            if (point == "index-written:8")
            {
                // The 128 packs indexed before the crash are kept: the next backup does not store their data again.
                Assert.InRange(added, 1, 10L * MiB);
            }
            // After a crash past the snapshot, nothing is left to store but the trees of the lab's own changed folders.
            if (point == "after-snapshot") Assert.InRange(added, 0, 16 << 10);
            output.WriteLine($"{point}: {clock.Elapsed.TotalSeconds:F1} s, {unreferenced} unreferenced packs, {added} bytes added by the next backup");
        }
        await lab.AssertEverythingRestoresAsync();
        output.WriteLine($"all: {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task A_backup_killed_at_seeded_random_moments_loses_nothing_earlier_and_the_next_backup_completes()
    {
        var random = new Random(23);
        using var lab = await CrashLab.CreateAsync(seed: 23, packSize: 512 << 10);
        lab.Cairn.Log = r => output.WriteLine(r.Summary);
        lab.Source.AddData(64 * MiB);
        // A first guess at how long a backup of 20 MiB of new data takes; later ones are measured.
        var duration = (await lab.BackupAsync()).Elapsed / 2;

        int killedMidway = 0;
        const int Kills = 4;
        var clock = Stopwatch.StartNew();
        for (int kill = 0; kill < Kills; kill++)
        {
            // Each run has new data to store, and is killed somewhere in the time the previous complete backup of as
            // much new data took: while it reads and chunks, uploads packs, writes the index or the snapshot.
            lab.Source.ChangeSome();
            lab.Source.AddData(20 * MiB);
            if (kill == 3) lab.Source.RemoveOldest(); // the tree grows to 124 MiB, then shrinks to 84
            var seen = lab.Source.Manifest();
            var delay = duration * (0.1 + 0.65 * random.NextDouble());
            var run = await lab.Cairn.KillAfterAsync(delay, lab.BackupArgs);
            if (run.KilledByTest) killedMidway++;
            else Assert.True(run.ExitCode == 0, run.ToString()); // it finished first: a complete backup, checked below

            await lab.AssertIntactAfterCrashAsync(seen, $"kill after {delay.TotalSeconds:F2} s");
            var next = await lab.BackupAsync();
            // After a kill the next backup stores all the new data again (no index file named it yet): as long as a
            // whole backup of it takes.
            duration = run.KilledByTest ? next.Elapsed : run.Elapsed;
            output.WriteLine($"kill after {delay.TotalSeconds:F2} s: {(run.KilledByTest ? "killed" : "had finished")}; " +
                             $"the next backup took {next.Elapsed.TotalSeconds:F2} s; {clock.Elapsed.TotalSeconds:F1} s so far");
        }
        // At least half the kills must land inside a running backup, or this test proves little.
        Assert.True(killedMidway * 2 >= Kills, $"only {killedMidway} of {Kills} kills hit a running backup");
        await lab.AssertEverythingRestoresAsync();
        output.WriteLine($"all: {clock.Elapsed.TotalSeconds:F1} s");
    }
}

/// <summary>Process-level crash tests run one at a time: they are CPU-heavy, and the timed kills depend on speed.</summary>
[CollectionDefinition(Name)]
public sealed class CrashCollection
{
    public const string Name = "crash";
}
