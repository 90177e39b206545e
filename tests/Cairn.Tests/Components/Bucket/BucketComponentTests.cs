using Cairn.Components;
using Cairn.Components.Bucket;
using Cairn.Snapshots;

namespace Cairn.Tests.Components.Bucket;

// The bucket component end to end against the s3rver and Azurite that test.sh starts (tests/servers/*.sh).
public sealed class BucketComponentTests
{
    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task Backup_change_restore_gives_back_keys_bytes_content_types_and_metadata(string service)
    {
        await using var bucket = TestBucket.Create(service);
        await bucket.CreateAsync();
        var samples = TestBucket.SampleObjects();
        foreach (var item in samples) await bucket.PutAsync(item);
        var original = await bucket.ReadAllAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new BucketComponent("site", bucket.Options(), _ => null);

        var snapshot = await harness.BackupAsync("site", component);

        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        var entry = Assert.Single(snapshot.Components);
        Assert.Null(entry.Error);
        Assert.Equal(samples.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Details!["objects"]);
        Assert.Equal("1", entry.Details["escaped_keys"]); // "docs" is also the folder of "docs/readme.md"
        Assert.Equal($"{samples.Count} objects, {samples.Sum(s => s.Data.Length)} bytes in {bucket.Url()}", entry.Items![0]);
        Assert.Contains("assets/ (2 objects)", entry.Items);
        Assert.StartsWith(service == "s3" ? "AWSSDK.S3 " : "Azure.Storage.Blobs ", entry.Tool, StringComparison.Ordinal);
        Assert.True(entry.Bytes > 20L << 20, $"bytes {entry.Bytes}");

        // Deliberate damage: deletes, an overwrite with another type, and a newcomer.
        await bucket.DeleteAsync("index.html");
        await bucket.DeleteAsync("data/big.bin");
        await bucket.DeleteAsync("odd/ünï cödé +&=;,@ (1)#%.txt");
        await bucket.PutAsync(new TestObject("assets/css/site.css", "overwritten"u8.ToArray(), "application/x-wrong", new Dictionary<string, string>()));
        await bucket.PutAsync(new TestObject("new.txt", "new"u8.ToArray(), "text/plain", new Dictionary<string, string>()));

        await harness.RestoreAsync(snapshot, "site", component, new ComponentRestoreRequest());

        var restored = await bucket.ReadAllAsync();
        Assert.Equal(original.Keys.Append("new.txt").Order(StringComparer.Ordinal), restored.Keys);
        foreach (var (key, expected) in original)
        {
            var actual = restored[key];
            Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"bytes of '{key}' differ after the restore");
            Assert.Equal(expected.ContentType, actual.ContentType);
            Assert.Equal(expected.Metadata.OrderBy(m => m.Key), actual.Metadata.OrderBy(m => m.Key));
        }

        // The bucket is as it was (plus new.txt): a second backup stores little beyond new.txt and the manifest.
        var second = await harness.BackupAsync("site", component);
        Assert.Equal(SnapshotStatus.Complete, second.Status);
        Assert.Equal(snapshot.Id, second.Parent);
        Assert.InRange(second.Components[0].BytesAdded!.Value, 1, 64 * 1024);
        Assert.True(second.Components[0].Bytes > 20L << 20);
    }

    [Theory]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task Filters_choose_what_is_backed_up_and_key_and_to_choose_what_is_restored_where(string service)
    {
        await using var bucket = TestBucket.Create(service);
        await bucket.CreateAsync();
        foreach (var item in TestBucket.SampleObjects().Where(s => s.Key != "data/big.bin")) await bucket.PutAsync(item with { Key = "www/" + item.Key });
        await WithHarnessAsync(async harness =>
        {
            var options = bucket.Options("www") with { Include = ["assets/", "docs**", "**/*.log"], Exclude = ["**/*.png"] };
            var component = new BucketComponent("www", options, _ => null);

            var snapshot = await harness.BackupAsync("www", component);

            Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
            Assert.Equal("4", snapshot.Components[0].Details!["objects"]); // site.css, docs, docs/readme.md, logs/app.log
            Assert.Equal("assets/ docs** **/*.log", snapshot.Components[0].Details!["include"]);

            // Only docs**, into another prefix of the bucket (keys keep their names relative to the prefix).
            await harness.RestoreAsync(snapshot, "www", component, new ComponentRestoreRequest { Key = "docs**", Target = bucket.Url("restored/here") });
            var all = await bucket.ReadAllAsync();
            Assert.Equal(["restored/here/docs", "restored/here/docs/readme.md"], all.Keys.Where(k => k.StartsWith("restored/", StringComparison.Ordinal)));
            Assert.Equal("# readme"u8.ToArray(), all["restored/here/docs/readme.md"].Data);
            Assert.Equal("text/markdown", all["restored/here/docs/readme.md"].ContentType);

            var none = await Assert.ThrowsAsync<CairnException>(() =>
                harness.RestoreAsync(snapshot, "www", component, new ComponentRestoreRequest { Key = "nothing/" }));
            Assert.Equal(ExitCode.NotFound, none.ExitCode);
            var usage = await Assert.ThrowsAsync<CairnException>(() =>
                harness.RestoreAsync(snapshot, "www", component, new ComponentRestoreRequest { Table = "t" }));
            Assert.Equal(ExitCode.Usage, usage.ExitCode);
        });
    }

    [Theory]
    [InlineData("s3", "missing")]
    [InlineData("azure", "missing")]
    [InlineData("s3", "wrong key")]
    [InlineData("azure", "wrong key")]
    public async Task A_missing_bucket_or_wrong_key_fails_the_snapshot_with_the_services_message(string service, string problem)
    {
        await using var bucket = TestBucket.Create(service);
        var options = bucket.Options();
        if (problem == "wrong key")
        {
            await bucket.CreateAsync();
            await bucket.PutAsync(TestBucket.SampleObjects()[0]);
            options = service == "s3"
                ? options with { AccessKeyId = "NOSUCHKEY" }
                : options with { AccountKey = Convert.ToBase64String(new byte[64]) };
        }

        await WithHarnessAsync(async harness =>
        {
            var snapshot = await harness.BackupAsync("b", new BucketComponent("b", options, _ => null));

            Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
            var error = snapshot.Components[0].Error;
            Assert.NotNull(error);
            var expected = (service, problem) switch
            {
                ("s3", "missing") => "NoSuchBucket",
                ("azure", "missing") => "ContainerNotFound",
                ("s3", _) => "InvalidAccessKeyId",
                _ => "403 AuthorizationFailure",
            };
            Assert.True(error.Contains(expected, StringComparison.Ordinal), error);
            Assert.DoesNotContain(Storage.Azure.Azurite.AccountKey, error, StringComparison.Ordinal);
        });
    }

    private static async Task WithHarnessAsync(Func<ComponentHarness, Task> test)
    {
        await using var harness = await ComponentHarness.CreateAsync();
        await test(harness);
    }
}
