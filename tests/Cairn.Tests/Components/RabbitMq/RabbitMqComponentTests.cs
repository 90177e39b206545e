using Cairn.Components;
using Cairn.Components.RabbitMq;
using Cairn.Snapshots;

namespace Cairn.Tests.Components.RabbitMq;

/// <summary>The rabbitmq component against the real RabbitMQ of tests/servers/rabbitmq.sh.</summary>
[Collection("rabbitmq")]
public sealed class RabbitMqComponentTests : IDisposable
{
    private readonly RabbitMqTestServer _server = new();

    public void Dispose() => _server.Dispose();

    private RabbitMqComponent Component(string? vhost = null, string? password = null, string? url = null) =>
        new("mq", new RabbitMqOptions { Url = url ?? _server.Url, User = _server.User, Password = password ?? _server.Password, Vhost = vhost });

    [Fact]
    public async Task Whole_broker_backup_then_delete_then_restore_brings_the_definitions_back()
    {
        await _server.CreateVhostAsync();
        var before = await _server.DefinitionsAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component();

        var snapshot = await harness.BackupAsync("mq", component);

        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.Null(recorded.Error);
        Assert.StartsWith("RabbitMQ 3.", recorded.ServerVersion, StringComparison.Ordinal);
        Assert.Contains("Erlang", recorded.ServerVersion, StringComparison.Ordinal);
        Assert.Contains($"vhost {_server.Vhost}", recorded.Items!);
        Assert.Contains("vhost cairn", recorded.Items!); // the script's own test data
        Assert.True(int.Parse(recorded.Details!["queues"], System.Globalization.CultureInfo.InvariantCulture) >= 6);

        await _server.DeleteAsync($"/api/queues/{_server.V}/orders.us");
        await _server.DeleteAsync($"/api/exchanges/{_server.V}/ex.audit");
        Assert.NotEqual(before, await _server.DefinitionsAsync());

        await harness.RestoreAsync(snapshot, "mq", component, new ComponentRestoreRequest());

        Assert.Equal(before, await _server.DefinitionsAsync());
    }

    [Fact]
    public async Task One_vhost_backup_restores_into_that_vhost_and_leaves_extra_objects_alone()
    {
        await _server.CreateVhostAsync();
        var before = await _server.DefinitionsAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component(vhost: _server.Vhost);

        var snapshot = await harness.BackupAsync("mq", component);

        var recorded = Assert.Single(snapshot.Components);
        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        Assert.Equal([$"vhost {_server.Vhost}", "queues: 3", "exchanges: 2", "bindings: 3", "policies: 1"], recorded.Items);
        Assert.Equal(_server.Vhost, recorded.Details!["vhost"]);

        await _server.DeleteAsync($"/api/queues/{_server.V}/orders.eu");
        await _server.DeleteAsync($"/api/policies/{_server.V}/orders-limit");
        await _server.PutAsync($"/api/queues/{_server.V}/added.later", """{"durable":true}""");

        // --to the same server, spelled as a URL: the restore goes where it is told.
        await harness.RestoreAsync(snapshot, "mq", component, new ComponentRestoreRequest { Target = _server.Url });

        // Merge semantics: what was deleted is back, what was added since stays.
        Assert.Equal(["added.later", "audit.log", "orders.eu", "orders.us"], await _server.QueueNamesAsync());
        await _server.DeleteAsync($"/api/queues/{_server.V}/added.later");
        Assert.Equal(before, await _server.DefinitionsAsync());
    }

    [Fact]
    public async Task A_wrong_password_fails_the_component_with_the_servers_answer()
    {
        await using var harness = await ComponentHarness.CreateAsync();

        var snapshot = await harness.BackupAsync("mq", Component(password: "not-the-password"));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.Equal(SnapshotStatus.Failed, recorded.Status);
        Assert.Contains("401", recorded.Error, StringComparison.Ordinal);
        Assert.Contains("not_authorized", recorded.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", recorded.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        var url = RabbitMqTestServer.ClosedPortUrl();

        var snapshot = await harness.BackupAsync("mq", Component(url: url));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var error = Assert.Single(snapshot.Components).Error;
        Assert.Contains(url, error, StringComparison.Ordinal);
        Assert.Contains("refused", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_second_backup_stores_almost_nothing_new()
    {
        await _server.CreateVhostAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component(vhost: _server.Vhost);

        var first = Assert.Single((await harness.BackupAsync("mq", component)).Components);
        var second = Assert.Single((await harness.BackupAsync("mq", component)).Components);

        Assert.True(first.BytesAdded > 0, $"first backup added {first.BytesAdded}");
        Assert.True(second.BytesAdded < first.BytesAdded / 4, $"second backup added {second.BytesAdded} of {second.Bytes} (first {first.BytesAdded})");
    }

    [Fact]
    public async Task Restore_options_that_make_no_sense_are_usage_errors()
    {
        await _server.CreateVhostAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component(vhost: _server.Vhost);
        var snapshot = await harness.BackupAsync("mq", component);

        var e = await Assert.ThrowsAsync<CairnException>(() => harness.RestoreAsync(snapshot, "mq", component, new ComponentRestoreRequest { Table = "orders.eu" }));

        Assert.Equal(ExitCode.Usage, e.ExitCode);
    }
}
