using Cairn.Archiving.Backup;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Storage;
using Cairn.Tests.Platform;

namespace Cairn.Tests.Archiving;

/// <summary>Backups that fail part-way must end with the storage's error, not hang and not write a snapshot.</summary>
public sealed class BackupFailureTests
{
    [Fact]
    public async Task Failing_pack_uploads_end_the_backup_with_the_storage_error_even_when_the_file_queue_is_full()
    {
        using var source = new TempTree();
        var dir = PathBytes.ToDisplay(source.Path);
        // More files than one worker's queue holds (16 per worker), and enough data for several 16 MiB packs, so the
        // walker is still queueing when the first upload fails and the only worker gives up.
        var random = new Random(5);
        var content = new byte[150_000];
        for (int i = 0; i < 400; i++)
        {
            random.NextBytes(content);
            File.WriteAllBytes(Path.Combine(dir, $"f{i:D3}"), content);
        }
        await using var repo = await TestRepository.CreateAsync();
        var failing = new FaultInjectingBlobStore(new LocalBlobStore(repo.Root), new FaultPlan(1) { Put = new FaultRates(Permanent: 1) });
        await using var repository = await Repository.OpenAsync(failing, System.Text.Encoding.UTF8.GetBytes(TestRepository.Password), CancellationToken.None);

        var backup = new Archiver(repository, new BackupOptions { Paths = [dir], Workers = 1 }, TimeProvider.System).RunAsync(CancellationToken.None);

        var error = await Assert.ThrowsAnyAsync<StorageException>(() => backup.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(error.IsTransient);
        Assert.Equal(0, repo.CountFiles("snapshots"));
    }
}
