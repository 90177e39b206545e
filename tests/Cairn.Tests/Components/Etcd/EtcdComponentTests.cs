using Cairn.Components;
using Cairn.Components.Etcd;
using Cairn.Snapshots;
using Cairn.Tests.Storage.Rest;

namespace Cairn.Tests.Components.Etcd;

/// <summary>The etcd component against the real etcd 3.4 member of tests/servers/etcd.sh (auth on, 6054 keys).</summary>
/// <remarks>The tests change the shared member's keys, each under its own prefix or putting back what it removed;
/// xunit runs the tests of one class one at a time.</remarks>
public sealed class EtcdComponentTests
{
    // Free ports for a second member on a restored data directory (the test server has 22379/22380).
    private const int SecondClientPort = 22479;
    private const int SecondPeerPort = 22480;

    [Fact]
    public async Task Snapshot_restored_to_a_new_data_directory_starts_a_member_with_every_key_of_the_backup()
    {
        var endpoint = EtcdTestServer.Endpoint;
        var prefix = $"/cairn-test/snapshot-{Guid.NewGuid():N}/";
        for (var i = 0; i < 20; i++) await EtcdTestServer.CtlAsync(endpoint, "put", $"{prefix}key-{i}", $"value {i}");
        var before = await EtcdTestServer.AllKeysAsync(endpoint);
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new EtcdComponent("etcd", EtcdTestServer.Options);

        var snapshot = await harness.BackupAsync("etcd", component);

        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.Null(recorded.Error);
        Assert.StartsWith("etcd 3.4.", recorded.ServerVersion, StringComparison.Ordinal);
        Assert.Contains("/registry/ (6000 keys)", recorded.Items!);
        Assert.Contains("/cairn-test/ (20 keys)", recorded.Items!);
        Assert.Equal(before.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), recorded.Details!["keys"]);

        // The deliberate change: the new keys go, so only the restored member can have them.
        await EtcdTestServer.CtlAsync(endpoint, "del", prefix, "--prefix");
        var dataDir = Path.Combine(EtcdTestServer.ScratchDir, "restored-" + Guid.NewGuid().ToString("N")[..8]);
        await harness.RestoreAsync(snapshot, "etcd", component, new ComponentRestoreRequest { Target = dataDir });

        Assert.True(Directory.Exists(Path.Combine(dataDir, "member", "snap")), "etcdctl snapshot restore made no member directory");
        var second = $"http://127.0.0.1:{SecondClientPort}";
        await using (var member = ScratchServer.Start("etcd", ["--data-dir", dataDir,
            "--listen-client-urls", second, "--advertise-client-urls", second,
            "--listen-peer-urls", $"http://127.0.0.1:{SecondPeerPort}"], dataDir + ".log"))
        {
            using var http = new HttpClient();
            await member.WaitUntilAsync(async () => (await http.GetStringAsync($"{second}/health")).Contains("\"true\"", StringComparison.Ordinal));
            var restored = await EtcdTestServer.AllKeysAsync(second); // auth and the root user came back with the data
            Assert.Equal(before, restored);
        }
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task Logical_import_puts_back_deleted_keys_only_under_the_key_prefix_then_all_of_them_with_new_leases()
    {
        var endpoint = EtcdTestServer.Endpoint;
        var before = await EtcdTestServer.AllKeysAsync(endpoint);
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new EtcdComponent("etcd", EtcdTestServer.Options);
        var snapshot = await harness.BackupAsync("etcd", component);
        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);

        await EtcdTestServer.CtlAsync(endpoint, "del", "/app/config/", "--prefix");
        await EtcdTestServer.CtlAsync(endpoint, "del", "/services/", "--prefix");
        await EtcdTestServer.CtlAsync(endpoint, "put", "/registry/pods/default/pod-1", "changed after the backup");
        Assert.NotEqual(before, await EtcdTestServer.AllKeysAsync(endpoint));

        await harness.RestoreAsync(snapshot, "etcd", component, new ComponentRestoreRequest { Key = "/app/config/" });
        var partly = await EtcdTestServer.AllKeysAsync(endpoint);
        Assert.Equal(before.Where(k => Decoded(k.Key).StartsWith("/app/config/", StringComparison.Ordinal)),
            partly.Where(k => Decoded(k.Key).StartsWith("/app/config/", StringComparison.Ordinal)));
        Assert.DoesNotContain(EtcdTestServer.Base64("/services/web/instance-1"), partly.Keys);
        Assert.Equal(EtcdTestServer.Base64("changed after the backup"), partly[EtcdTestServer.Base64("/registry/pods/default/pod-1")]);

        await harness.RestoreAsync(snapshot, "etcd", component, new ComponentRestoreRequest());
        Assert.Equal(before, await EtcdTestServer.AllKeysAsync(endpoint));
        // The leased keys came back on a lease (a new one: the old one went with the keys), shared as before.
        var lease = await EtcdTestServer.LeaseOfAsync(endpoint, "/services/web/instance-1");
        Assert.NotEqual(0, lease);
        Assert.Equal(lease, await EtcdTestServer.LeaseOfAsync(endpoint, "/services/web/instance-3"));
        Assert.Contains(harness.Messages, m => m.Contains("on 1 new leases", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_backup_of_an_unchanged_cluster_adds_little_to_the_repository()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new EtcdComponent("etcd", EtcdTestServer.Options);

        var first = Assert.Single((await harness.BackupAsync("etcd", component)).Components);
        var second = Assert.Single((await harness.BackupAsync("etcd", component)).Components);

        Assert.True(first.Bytes > 10_000_000, $"the first backup holds {first.Bytes} bytes");
        Assert.True(first.BytesAdded > first.Bytes / 4, $"the first backup added {first.BytesAdded} of {first.Bytes} bytes");
        // Not nothing: even the backup's own login is a write (it goes through raft), which moves a few bbolt pages of
        // the database; each moved page costs one chunk (about 1 MiB) of new data. The rest, and the key export's
        // unchanged lines, are found in the repository.
        Assert.True(second.BytesAdded < second.Bytes / 4, $"the second backup added {second.BytesAdded} of {second.Bytes} bytes");
    }

    [Fact]
    public async Task A_wrong_password_fails_the_component_with_etcds_own_words()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new EtcdComponent("etcd", EtcdTestServer.Options with { Password = "not the password" });

        var snapshot = await harness.BackupAsync("etcd", component);

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.Equal(SnapshotStatus.Failed, recorded.Status);
        Assert.Contains("authentication failed, invalid user ID or password", recorded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_fails_the_component_and_the_next_endpoint_is_tried_first()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var stopped = $"http://127.0.0.1:{RestTestServers.ClosedPort()}";

        var failed = await harness.BackupAsync("etcd", new EtcdComponent("etcd", EtcdTestServer.Options with { Endpoints = [stopped] }));
        var recorded = Assert.Single(failed.Components);
        Assert.Equal(SnapshotStatus.Failed, failed.Status);
        Assert.Contains("etcd could not be reached", recorded.Error, StringComparison.Ordinal);
        Assert.Contains("Connection refused", recorded.Error, StringComparison.Ordinal);

        // A cluster is several endpoints: a dead member is skipped.
        var good = await harness.BackupAsync("etcd", new EtcdComponent("etcd", EtcdTestServer.Options with { Endpoints = [stopped, EtcdTestServer.Endpoint] }));
        Assert.Equal(SnapshotStatus.Complete, good.Status);
    }

    [Fact]
    public async Task Restore_options_that_do_not_fit_are_usage_errors()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var component = new EtcdComponent("etcd", EtcdTestServer.Options);
        var snapshot = await harness.BackupAsync("etcd", component);

        var table = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "etcd", component, new ComponentRestoreRequest { Table = "t" }));
        Assert.Equal(ExitCode.Usage, table.ExitCode);
        var keyToDir = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "etcd", component,
            new ComponentRestoreRequest { Target = Path.Combine(harness.Root, "d"), Key = "/app/" }));
        Assert.Equal(ExitCode.Usage, keyToDir.ExitCode);
        var full = Path.Combine(harness.Root, "full");
        Directory.CreateDirectory(full);
        await File.WriteAllTextAsync(Path.Combine(full, "x"), "occupied");
        var notEmpty = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "etcd", component, new ComponentRestoreRequest { Target = full }));
        Assert.Equal(ExitCode.Usage, notEmpty.ExitCode);
    }

    private static string Decoded(string base64) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
}
