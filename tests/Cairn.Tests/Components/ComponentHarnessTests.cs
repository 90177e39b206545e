using Cairn.Components;
using Cairn.Snapshots;

namespace Cairn.Tests.Components;

/// <summary>The job snapshot machinery under every component: streams and file trees in, the same bytes out.</summary>
public sealed class ComponentHarnessTests
{
    /// <summary>Stores fixed streams, and on restore writes every stored file below the request's Target.</summary>
    private sealed class StreamsComponent(IReadOnlyDictionary<string, byte[]> streams) : IComponent
    {
        public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
        {
            backup.Manifest.Tool = "test-tool 1.0";
            backup.Manifest.Format = "raw";
            foreach (var (path, data) in streams)
            {
                using var stream = new MemoryStream(data);
                var stored = await backup.AddStreamAsync(path, stream, cancellationToken);
                Assert.Equal(data.Length, stored.Size);
                backup.Manifest.Items.Add(stored.Path);
            }
            backup.Manifest.Details["streams"] = streams.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
        {
            foreach (var file in source.Files)
            {
                var target = Path.Combine(request.Target!, file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await using var output = File.Create(target);
                await using var input = source.Open(file.Path);
                await input.CopyToAsync(output, cancellationToken);
            }
        }
    }

    private sealed class FailingComponent : IComponent
    {
        public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
        {
            using var partial = new MemoryStream(new byte[1000]);
            await backup.AddStreamAsync("before-failure.bin", partial, cancellationToken);
            throw new ComponentFailedException("fake_dump exited with status 2: FATAL: password authentication failed");
        }

        public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Backs up real paths; restore puts them below the request's Target.</summary>
    private sealed class PathsComponent(IReadOnlyList<string> paths) : IComponent
    {
        public Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken) => backup.AddPathsAsync(paths, ["*.skip"], cancellationToken);

        public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken) =>
            source.RestorePathsAsync(request.Target, [], cancellationToken);
    }

    /// <summary>Two path lists below one directory, and a stream stored inside the first one's tree.</summary>
    private sealed class MergingComponent(string first, string second, string streamPath) : IComponent
    {
        public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
        {
            await backup.AddPathsAsync([first], [], cancellationToken);
            await backup.AddPathsAsync([second], [], cancellationToken);
            using var stream = new MemoryStream("stream"u8.ToArray());
            await backup.AddStreamAsync(streamPath, stream, cancellationToken);
        }

        public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken) =>
            source.RestorePathsAsync(request.Target, [], cancellationToken);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task Two_streams_one_in_a_subdirectory_round_trip_byte_identical()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var streams = new Dictionary<string, byte[]>
        {
            ["dump.sql"] = RandomBytes(3_500_000, 1), // several chunks
            ["schemas/app/table.dat"] = RandomBytes(12_345, 2),
        };
        var component = new StreamsComponent(streams);

        var snapshot = await harness.BackupAsync("db", component);

        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        Assert.Equal("harness", snapshot.Job);
        var entry = Assert.Single(snapshot.Components);
        Assert.Equal(("db", "streams", "db", SnapshotStatus.Complete), (entry.Name, entry.Type, entry.Path, entry.Status));
        Assert.Null(entry.Error);
        Assert.Equal("test-tool 1.0", entry.Tool);
        Assert.Equal(["dump.sql", "schemas/app/table.dat"], entry.Items);
        Assert.Equal("2", entry.Details!["streams"]);
        Assert.Equal(3_500_000 + 12_345, entry.Bytes);
        Assert.True(entry.BytesAdded >= 3_500_000 + 12_345, $"added {entry.BytesAdded}");

        // The snapshot's root has the component's directory, with the streams as files in it.
        var root = await harness.Repository.LoadTreeAsync(snapshot.Tree, CancellationToken.None);
        var dir = Assert.Single(root.Nodes);
        Assert.Equal("db"u8.ToArray(), dir.Name);

        var target = Path.Combine(harness.Root, "restored");
        await harness.RestoreAsync(snapshot, "db", component, new ComponentRestoreRequest { Target = target });
        foreach (var (path, data) in streams)
            Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(target, path)));

        // The same data again: the second snapshot stores (almost) nothing new, and names the first as its parent.
        var second = await harness.BackupAsync("db", component);
        Assert.Equal(snapshot.Id, second.Parent);
        // Only the small trees are new (the stream files carry this run's time); no data chunk is stored twice.
        Assert.InRange(second.Components[0].BytesAdded!.Value, 0, 4096);
    }

    [Fact]
    public async Task A_component_that_fails_leaves_a_failed_snapshot_with_its_error()
    {
        await using var harness = await ComponentHarness.CreateAsync();

        var snapshot = await harness.BackupAsync("db", new FailingComponent());

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var entry = Assert.Single(snapshot.Components);
        Assert.Equal(SnapshotStatus.Failed, entry.Status);
        Assert.Equal("fake_dump exited with status 2: FATAL: password authentication failed", entry.Error);
        // It is stored as such (not only returned), and what came before the failure is kept for manual use.
        var stored = await harness.Repository.LoadSnapshotAsync(snapshot.Id, CancellationToken.None);
        Assert.Equal(SnapshotStatus.Failed, stored.Status);
        Assert.Equal(entry.Error, stored.Components[0].Error);
        var source = await Cairn.Orchestration.Jobs.ComponentRestore.OpenAsync(harness.Repository, stored, "db", null, CancellationToken.None);
        Assert.Equal("before-failure.bin", Assert.Single(source.Files).Path);
    }

    [Fact]
    public async Task Paths_round_trip_and_unchanged_files_are_not_read_again()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var source = Path.Combine(harness.Root, "source");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        await File.WriteAllBytesAsync(Path.Combine(source, "a.bin"), RandomBytes(200_000, 3));
        await File.WriteAllTextAsync(Path.Combine(source, "sub", "b.txt"), "hello");
        await File.WriteAllTextAsync(Path.Combine(source, "sub", "c.skip"), "excluded");
        var component = new PathsComponent([source]);

        var first = await harness.BackupAsync("files", component);
        Assert.True(first.Status == SnapshotStatus.Complete, first.Components[0].Error);
        Assert.Equal(200_005, first.Components[0].Bytes);
        Assert.Equal(2, first.Summary!.FilesNew);

        var second = await harness.BackupAsync("files", component);
        Assert.Equal(2, second.Summary!.FilesUnchanged);
        Assert.Equal(0, second.Summary.BytesRead);

        var target = Path.Combine(harness.Root, "restored");
        await harness.RestoreAsync(second, "files", component, new ComponentRestoreRequest { Target = target });
        var restored = Path.Combine(target, source.TrimStart('/'));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, "a.bin")), await File.ReadAllBytesAsync(Path.Combine(restored, "a.bin")));
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(restored, "sub", "b.txt")));
        Assert.False(File.Exists(Path.Combine(restored, "sub", "c.skip")));
    }

    [Fact]
    public async Task A_missing_path_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var snapshot = await harness.BackupAsync("files", new PathsComponent([Path.Combine(harness.Root, "does-not-exist")]));
        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("does-not-exist", snapshot.Components[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Path_lists_and_streams_that_share_directories_are_merged()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var source = Path.Combine(harness.Root, "source");
        Directory.CreateDirectory(Path.Combine(source, "one"));
        Directory.CreateDirectory(Path.Combine(source, "two"));
        await File.WriteAllTextAsync(Path.Combine(source, "one", "1.txt"), "one");
        await File.WriteAllTextAsync(Path.Combine(source, "two", "2.txt"), "two");
        var component = new MergingComponent(Path.Combine(source, "one"), Path.Combine(source, "two"), source.TrimStart('/') + "/one/extra.txt");

        var snapshot = await harness.BackupAsync("merged", component);
        Assert.True(snapshot.Status == SnapshotStatus.Complete, snapshot.Components[0].Error);

        var target = Path.Combine(harness.Root, "restored");
        await harness.RestoreAsync(snapshot, "merged", component, new ComponentRestoreRequest { Target = target });
        var restored = Path.Combine(target, source.TrimStart('/'));
        Assert.Equal("one", await File.ReadAllTextAsync(Path.Combine(restored, "one", "1.txt")));
        Assert.Equal("two", await File.ReadAllTextAsync(Path.Combine(restored, "two", "2.txt")));
        Assert.Equal("stream", await File.ReadAllTextAsync(Path.Combine(restored, "one", "extra.txt")));
    }
}
