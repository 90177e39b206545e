using System.Text.Json.Nodes;
using Cairn.Components;
using Cairn.Components.Http;
using Cairn.Snapshots;
using Cairn.Tests.Components.RabbitMq;

namespace Cairn.Tests.Components.Http;

/// <summary>
/// The generic http component against a real HTTP API: RabbitMQ's management API (tests/servers/rabbitmq.sh), whose
/// queues are listed, fetched one by one, deleted and put back.
/// </summary>
[Collection("rabbitmq")]
public sealed class HttpComponentTests : IDisposable
{
    private readonly RabbitMqTestServer _server = new();

    public void Dispose() => _server.Dispose();

    private HttpComponent Component(HttpRequestSpec request, string? password = null, string? url = null) => new("queues", new HttpOptions
    {
        Url = url ?? _server.Url,
        User = _server.User,
        Password = password ?? _server.Password,
        Requests = [request],
    });

    // GET the vhost's queue list, then each queue (its full answer, statistics and all); restore PUTs the fields a
    // queue is declared with.
    private HttpRequestSpec ListThenFetch() => new()
    {
        Name = "queues",
        Get = $"/api/queues/{_server.V}",
        Items = "[*].name",
        Fetch = $"/api/queues/{_server.V}/{{name}}",
        RestoreUrl = $"/api/queues/{_server.V}/{{name}}",
        RestoreBody = """{"durable": "{durable}", "auto_delete": "{auto_delete}", "arguments": "{arguments}"}""",
    };

    private async Task<Dictionary<string, string>> QueueDeclarationsAsync()
    {
        var queues = (JsonArray)await _server.GetAsync($"/api/queues/{_server.V}?columns=name,durable,auto_delete,arguments");
        return queues.ToDictionary(q => (string)q!["name"]!, q => q!.ToJsonString());
    }

    [Fact]
    public async Task List_then_fetch_backup_then_delete_then_restore_by_put_brings_the_queues_back()
    {
        await _server.CreateVhostAsync();
        var before = await QueueDeclarationsAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component(ListThenFetch());

        var snapshot = await harness.BackupAsync("queues", component);

        Assert.Equal(SnapshotStatus.Complete, snapshot.Status);
        var recorded = Assert.Single(snapshot.Components);
        Assert.Equal(["queues: 3 items"], recorded.Items);
        Assert.Contains("HTTP client", recorded.Tool, StringComparison.Ordinal);
        Assert.Equal(_server.Url, recorded.Details!["url"]);

        await _server.DeleteAsync($"/api/queues/{_server.V}/orders.eu");
        await _server.DeleteAsync($"/api/queues/{_server.V}/audit.log");
        Assert.Equal(["orders.us"], await _server.QueueNamesAsync());

        await harness.RestoreAsync(snapshot, "queues", component, new ComponentRestoreRequest());

        Assert.Equal(before, await QueueDeclarationsAsync());
    }

    [Fact]
    public async Task Restore_with_key_puts_back_only_the_matching_items()
    {
        await _server.CreateVhostAsync();
        var before = await QueueDeclarationsAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component(ListThenFetch());
        var snapshot = await harness.BackupAsync("queues", component);
        foreach (var queue in before.Keys) await _server.DeleteAsync($"/api/queues/{_server.V}/{queue}");

        await harness.RestoreAsync(snapshot, "queues", component, new ComponentRestoreRequest { Key = "orders." });
        Assert.Equal(["orders.eu", "orders.us"], await _server.QueueNamesAsync());

        await harness.RestoreAsync(snapshot, "queues", component, new ComponentRestoreRequest { Key = "*.log" });
        Assert.Equal(before, await QueueDeclarationsAsync());

        var none = await Assert.ThrowsAsync<CairnException>(() =>
            harness.RestoreAsync(snapshot, "queues", component, new ComponentRestoreRequest { Key = "no-such-queue" }));
        Assert.Equal(ExitCode.NotFound, none.ExitCode);
    }

    [Fact]
    public async Task One_answer_split_into_items_is_replayed_item_by_item_to_another_server_url()
    {
        await _server.CreateVhostAsync();
        var before = await QueueDeclarationsAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        var component = Component(new HttpRequestSpec
        {
            Name = "declarations",
            Get = $"/api/queues/{_server.V}?columns=name,durable,auto_delete,arguments",
            Items = "[*].name",
            RestoreUrl = $"/api/queues/{_server.V}/{{name}}",
        });

        var snapshot = await harness.BackupAsync("queues", component);
        Assert.Equal(["declarations: 3 items"], Assert.Single(snapshot.Components).Items);
        await _server.DeleteAsync($"/api/queues/{_server.V}/orders.us");

        // The component's own url is not reachable for the restore; --to names the server.
        var elsewhere = new HttpComponent("queues", new HttpOptions
        {
            Url = RabbitMqTestServer.ClosedPortUrl(),
            User = _server.User,
            Password = _server.Password,
            Requests = [new HttpRequestSpec { Name = "declarations", Get = "/unused", Items = "[*].name", RestoreUrl = $"/api/queues/{_server.V}/{{name}}" }],
        });
        await harness.RestoreAsync(snapshot, "queues", elsewhere, new ComponentRestoreRequest { Target = _server.Url });

        Assert.Equal(before, await QueueDeclarationsAsync());
    }

    [Fact]
    public async Task A_wrong_password_fails_the_component_with_the_status_and_the_start_of_the_body()
    {
        await using var harness = await ComponentHarness.CreateAsync();

        var snapshot = await harness.BackupAsync("queues", Component(ListThenFetch(), password: "wrong"));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var error = Assert.Single(snapshot.Components).Error;
        Assert.Contains("returned 401 Unauthorized", error, StringComparison.Ordinal);
        Assert.Contains("Login failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();

        var snapshot = await harness.BackupAsync("queues", Component(ListThenFetch(), url: RabbitMqTestServer.ClosedPortUrl()));

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        Assert.Contains("refused", Assert.Single(snapshot.Components).Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_index_that_is_not_json_fails_the_component()
    {
        await using var harness = await ComponentHarness.CreateAsync();
        // The management UI's start page is HTML.
        var component = Component(new HttpRequestSpec { Name = "ui", Get = "/", Items = "[*].name", Fetch = "/api/queues/{name}" });

        var snapshot = await harness.BackupAsync("queues", component);

        Assert.Equal(SnapshotStatus.Failed, snapshot.Status);
        var error = Assert.Single(snapshot.Components).Error;
        Assert.Contains("is not JSON", error, StringComparison.Ordinal);
        Assert.Contains("<", error, StringComparison.Ordinal); // the start of the body is quoted
    }

    [Fact]
    public async Task A_second_backup_of_unchanged_answers_stores_almost_nothing_new()
    {
        await _server.CreateVhostAsync();
        await using var harness = await ComponentHarness.CreateAsync();
        // Answers that do not change between two backups (queue statistics would): the broker's definitions as one
        // document, and the queues' declared fields fetched one by one. Each backup also writes the component's
        // directory anew (new times), so "little" is measured against the first backup.
        var component = new HttpComponent("api", new HttpOptions
        {
            Url = _server.Url,
            User = _server.User,
            Password = _server.Password,
            Requests =
            [
                new HttpRequestSpec { Name = "definitions", Get = "/api/definitions", RestoreMethod = HttpRestoreMethod.None },
                new HttpRequestSpec
                {
                    Name = "queues",
                    Get = $"/api/queues/{_server.V}?columns=name",
                    Items = "[*].name",
                    Fetch = $"/api/queues/{_server.V}/{{name}}?columns=name,durable,auto_delete,arguments",
                    RestoreUrl = $"/api/queues/{_server.V}/{{name}}",
                },
            ],
        });

        var first = Assert.Single((await harness.BackupAsync("api", component)).Components);
        var second = Assert.Single((await harness.BackupAsync("api", component)).Components);

        Assert.Equal(["definitions", "queues: 3 items"], second.Items);
        Assert.Equal(first.Bytes, second.Bytes);
        Assert.True(first.BytesAdded > 0, $"first backup added {first.BytesAdded}");
        Assert.True(second.BytesAdded < first.BytesAdded / 4, $"second backup added {second.BytesAdded} of {second.Bytes} (first {first.BytesAdded})");
    }
}
