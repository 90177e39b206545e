using Cairn.Content;
using Cairn.Content.Crypto;
using Cairn.Content.Index;
using Cairn.Maintenance;
using Cairn.Maintenance.Prune;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;
using Cairn.Storage;
using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace Cairn.Tests.Maintenance;

/// <summary>Runs alone, so that other tests' allocations do not blur the heap measurements.</summary>
[CollectionDefinition(nameof(MemoryMeasurements), DisableParallelization = true)]
public sealed class MemoryMeasurements;

/// <summary>
/// Measures what prune holds per chunk (the figure docs/PERFORMANCE.md quotes), on a repository of many tiny chunks,
/// so that any memory that grew with bytes instead of chunks would stand out.
/// </summary>
[Collection(nameof(MemoryMeasurements))]
public sealed class PruneMemoryTests(ITestOutputHelper output)
{
    private const int Unreferenced = 1000;
    private const int ChunksPerFile = 50;
    private const int FilesPerDirectory = 10;

    [Fact]
    public async Task Prune_memory_is_a_few_hundred_bytes_per_chunk()
    {
        // Two sizes, so that fixed costs (buffer pools, code, caches) cancel out of the per-chunk figures.
        const int Small = 30_000, Large = 120_000;
        var small = await MeasureAsync(Small);
        var large = await MeasureAsync(Large);
        double PerChunk(Func<(long Index, long References, long Plan), long> part) => (part(large) - part(small)) / (double)(Large - Small);
        double index = PerChunk(m => m.Index), references = PerChunk(m => m.References), plan = PerChunk(m => m.Plan);
        output.WriteLine($"{Small} chunks: {small}; {Large} chunks: {large}");
        output.WriteLine($"per chunk: index {index:0} B, referenced-id sets {references:0} B, plan {plan:0} B; peak about {index + references + plan:0} B");
        Assert.InRange(index, 40, 100);
        Assert.InRange(references, 30, 120);
        Assert.InRange(plan, 40, 100);
    }

    /// <summary>Heap bytes held by the loaded index, by the referenced-id sets, and by a prune plan, for a repository of <paramref name="chunks"/> chunks.</summary>
    private static async Task<(long Index, long References, long Plan)> MeasureAsync(int chunks)
    {
        var root = Path.Combine(Path.GetTempPath(), "cairn-prune-memory-" + Guid.NewGuid().ToString("N")[..8]);
        var password = "memory"u8.ToArray();
        try
        {
            await CreateRepositoryAsync(root, password, chunks);
            await using var reopened = await Repository.OpenAsync(new LocalBlobStore(root), password, CancellationToken.None);
            long index = await RetainedAsync(_ => Task.FromResult<object>(RebuildIndex(reopened)));
            var snapshots = await reopened.ListSnapshotsAsync(SnapshotFilter.All, CancellationToken.None);
            long references = await RetainedAsync(async ct => await ReferenceWalker.CollectAsync(reopened, snapshots, null, ct));
            int trees = 1 + chunks / ChunksPerFile / FilesPerDirectory;
            long planned = await RetainedAsync(async ct =>
            {
                var plan = await PrunePlanner.PlanAsync(reopened, new PruneOptions(), ct);
                Assert.Empty(plan.Problems);
                Assert.Equal(chunks + trees, plan.Statistics.UsedBlobs);
                Assert.Equal(Unreferenced, plan.Statistics.UnusedBlobs);
                return plan;
            });
            return (index, references, planned);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>
    /// Heap bytes that what <paramref name="build"/> returns keeps alive: the heap while it is held, less the heap once
    /// it is dropped. Measuring "after less before" instead failed now and then (a figure even came out negative),
    /// because garbage from earlier steps that was still reachable before could die during the step measured.
    /// </summary>
    private static async Task<long> RetainedAsync(Func<CancellationToken, Task<object>> build)
    {
        var held = new StrongBox<object?>();
        await FillAsync(held, build);
        // A completed task's continuation runs inline, on a stack that may still hold the task and its result: yield,
        // so that only the box keeps the result alive.
        await Task.Yield();
        long with = Heap();
        held.Value = null;
        long without = Heap();
        return with - without;
    }

    // Its own method, so that no local of RetainedAsync's state machine holds the result.
    private static async Task FillAsync(StrongBox<object?> held, Func<CancellationToken, Task<object>> build) =>
        held.Value = await build(CancellationToken.None);

    /// <summary>The merged index every command loads, rebuilt from memory so that no I/O buffer blurs the figure.</summary>
    private static RepositoryIndex RebuildIndex(Repository repository)
    {
        var index = new RepositoryIndex();
        foreach (var (_, location) in repository.Content.Index.Entries) index.AddPack(location.PackId, [location.Entry]);
        return index;
    }

    /// <summary>Live managed bytes, after a full compacting collection (the large-object heap included, else free gaps count).</summary>
    private static long Heap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>
    /// Stores tiny unique chunks, and one snapshot whose files use all but <see cref="Unreferenced"/> of them, in small
    /// trees (so that no large tree buffer blurs the figures). Separate method: locals of the test method would stay
    /// alive in its state machine and be counted.
    /// </summary>
    private static async Task CreateRepositoryAsync(string root, byte[] password, int chunks)
    {
        await using var repository = await Repository.InitAsync(new LocalBlobStore(root), password,
            new RepositoryInitOptions { Kdf = KdfParameters.ForTests }, TimeProvider.System, CancellationToken.None);
        var chunk = new byte[16];
        int next = 0;
        async Task<ObjectId> StoreChunkAsync()
        {
            BitConverter.TryWriteBytes(chunk, (long)next++);
            return (await repository.Content.StoreAsync(ObjectType.Data, chunk, CancellationToken.None)).Id;
        }
        var directories = new List<Node>();
        while (next < chunks)
        {
            var files = new List<Node>();
            for (int f = 0; f < FilesPerDirectory; f++)
            {
                var ids = new List<ObjectId>();
                for (int c = 0; c < ChunksPerFile; c++) ids.Add(await StoreChunkAsync());
                files.Add(new Node { Name = System.Text.Encoding.ASCII.GetBytes($"file{f:D3}"), Kind = NodeKind.File, Content = ids, Size = 16L * ids.Count });
            }
            var subtree = await repository.SaveTreeAsync(new Tree(files), CancellationToken.None);
            directories.Add(new Node { Name = System.Text.Encoding.ASCII.GetBytes($"dir{directories.Count:D6}"), Kind = NodeKind.Directory, Subtree = subtree.Id });
        }
        for (int i = 0; i < Unreferenced; i++) await StoreChunkAsync();
        var tree = await repository.SaveTreeAsync(new Tree(directories), CancellationToken.None);
        await repository.Content.FlushAsync(CancellationToken.None);
        await repository.SaveSnapshotAsync(new Snapshot { Time = DateTimeOffset.UnixEpoch, Tree = tree.Id, Paths = ["/"], Hostname = "memory" }, CancellationToken.None);
    }
}
