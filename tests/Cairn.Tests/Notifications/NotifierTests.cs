using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;

namespace Cairn.Tests.Notifications;

/// <summary>The HTTP channels (webhook, slack, healthchecks) against a real HTTP server the test runs on loopback.</summary>
public sealed class NotifierTests : IDisposable
{
    private readonly NotificationTestConfig _config = new();
    private readonly List<string> _log = [];

    public void Dispose() => _config.Dispose();

    private Notifier Notifier(CairnConfig config, NotifierOptions? options = null) =>
        new(config, line => { lock (_log) _log.Add(line); }, options ?? NotificationTestConfig.FastRetries);

    [Fact]
    public async Task Webhook_posts_the_documented_json_shape_with_the_configured_headers()
    {
        using var receiver = new HttpReceiver();
        var config = _config.Load($$$"""
              ops-hook:
                webhook: {url: "{{{receiver.Url("/hooks/cairn?team=ops")}}}", headers: {Authorization: Bearer t0ken, X-Extra: yes}}
            """);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.True(outcome.Delivered, outcome.Error);
        Assert.Equal(("ops-hook", "webhook", 1), (outcome.Channel, outcome.Kind, outcome.Attempts));
        var request = Assert.Single(receiver.Requests);
        Assert.Equal(("POST", "/hooks/cairn", "?team=ops"), (request.Method, request.Path, request.Query));
        Assert.StartsWith("application/json", request.ContentType, StringComparison.Ordinal);
        Assert.Equal("Bearer t0ken", request.Headers["Authorization"]);
        Assert.Equal("yes", request.Headers["X-Extra"]);
        using var json = JsonDocument.Parse(request.Body);
        var body = json.RootElement;
        // Every documented key, always present, in this order.
        Assert.Equal(
            ["version", "event", "summary", "job", "instance", "environment", "time", "component", "error", "hint", "snapshot",
             "duration_seconds", "bytes_read", "bytes_added", "files", "last_success", "log_tail"],
            body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.Equal("failure", body.GetProperty("event").GetString());
        Assert.Equal("FAILED db-nightly (research/prod): postgres: password authentication failed for user \"backup\"", body.GetProperty("summary").GetString());
        Assert.Equal(("db-nightly", "research", "prod"), (body.GetProperty("job").GetString(), body.GetProperty("instance").GetString(), body.GetProperty("environment").GetString()));
        Assert.Equal("2026-11-23T02:00:07Z", body.GetProperty("time").GetString());
        Assert.Equal("postgres", body.GetProperty("component").GetString());
        Assert.StartsWith("check the credentials", body.GetProperty("hint").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("snapshot").ValueKind);
        Assert.Equal(12.5, body.GetProperty("duration_seconds").GetDouble());
        Assert.Equal(1536, body.GetProperty("bytes_read").GetInt64());
        Assert.Equal(2, body.GetProperty("log_tail").GetArrayLength());
        Assert.Empty(_log);
    }

    [Fact]
    public async Task Slack_message_names_job_instance_environment_component_error_and_hint()
    {
        using var receiver = new HttpReceiver();
        var config = _config.Load($$$"""
              chat:
                slack: {url: "{{{receiver.Url("/services/T000/B000/XXXX")}}}"}
            """);
        using var notifier = Notifier(config);

        Assert.True(Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure())).Delivered);

        var request = Assert.Single(receiver.Requests);
        Assert.Equal("/services/T000/B000/XXXX", request.Path);
        using var json = JsonDocument.Parse(request.Body);
        var text = json.RootElement.GetProperty("text").GetString()!;
        Assert.Equal(":x: *FAILED* job `db-nightly` (research/prod): postgres: password authentication failed for user \"backup\"\n" +
            "_Hint:_ check the credentials in the job's config (password, password_file or ${VARIABLE})", text);
        var attachment = json.RootElement.GetProperty("attachments")[0];
        var fields = attachment.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("title").GetString()!, f => f.GetProperty("value").GetString());
        Assert.Equal("research", fields["Instance"]);
        Assert.Equal("prod", fields["Environment"]);
        Assert.Equal("postgres", fields["Component"]);
        Assert.Contains("pg_dump: error: password authentication failed", attachment.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthchecks_pings_start_success_and_fail_with_the_log_tail()
    {
        using var receiver = new HttpReceiver();
        var config = _config.Load($$$"""
              hc:
                healthchecks: {url: "{{{receiver.Url("/ping/5f0e-uuid/")}}}"}
            """);
        using var notifier = Notifier(config);

        await notifier.NotifyAsync(NotificationTestConfig.Started());
        await notifier.NotifyAsync(NotificationTestConfig.Success());
        await notifier.NotifyAsync(NotificationTestConfig.Failure());
        await notifier.NotifyAsync(NotificationTestConfig.Failure() with { Kind = NotificationEvent.Incomplete });
        // Healthchecks measures staleness itself: a stale event is not sent there.
        Assert.Empty(await notifier.NotifyAsync(NotificationTestConfig.Failure() with { Kind = NotificationEvent.Stale }));

        var requests = receiver.Requests;
        Assert.Equal(["/ping/5f0e-uuid/start", "/ping/5f0e-uuid", "/ping/5f0e-uuid/fail", "/ping/5f0e-uuid/fail"], requests.Select(r => r.Path));
        Assert.All(requests, r => Assert.Equal("POST", r.Method));
        Assert.Equal("", requests[0].Body);
        Assert.StartsWith("OK db-nightly (research/prod): snapshot 1a2b3c4d", requests[1].Body, StringComparison.Ordinal);
        Assert.Equal("FAILED db-nightly (research/prod): postgres: password authentication failed for user \"backup\"\n" +
            "pg_dump: connecting to 127.0.0.1:5432\npg_dump: error: password authentication failed for user \"backup\"", requests[2].Body);
        Assert.StartsWith("INCOMPLETE db-nightly", requests[3].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Channels_hear_only_the_events_in_on_and_jobs_only_the_channels_they_notify()
    {
        using var failures = new HttpReceiver();
        using var everything = new HttpReceiver();
        var config = _config.Load($$$"""
              failures: {webhook: {url: "{{{failures.Url("/f")}}}"}}
              everything:
                on: [failure, incomplete, stale, success]
                webhook: {url: "{{{everything.Url("/e")}}}"}
            """, notify: "notify: [failures]");
        using var notifier = Notifier(config);

        // db-nightly names only "failures"; "other" names none, so it hears all channels.
        Assert.Equal(["failures"], notifier.ChannelsFor(NotificationTestConfig.Failure()));
        Assert.Empty(notifier.ChannelsFor(NotificationTestConfig.Success()));
        Assert.Empty(notifier.ChannelsFor(NotificationTestConfig.Started("other")));
        Assert.Equal(["everything"], notifier.ChannelsFor(NotificationTestConfig.Success("other")));
        await notifier.NotifyAsync(NotificationTestConfig.Failure());
        await notifier.NotifyAsync(NotificationTestConfig.Success());
        await notifier.NotifyAsync(NotificationTestConfig.Failure("other"));
        await notifier.NotifyAsync(NotificationTestConfig.Success("other"));

        Assert.Equal(["db-nightly:failure", "other:failure"], failures.Requests.Select(Describe));
        Assert.Equal(["other:failure", "other:success"], everything.Requests.Select(Describe).Order());
    }

    private static string Describe(ReceivedRequest r)
    {
        using var json = JsonDocument.Parse(r.Body);
        return json.RootElement.GetProperty("job").GetString() + ":" + json.RootElement.GetProperty("event").GetString();
    }

    [Fact]
    public async Task A_channel_answering_500_is_retried_until_it_takes_the_message()
    {
        using var receiver = new HttpReceiver(HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        var config = _config.Load($$$"""
              hook: {webhook: {url: "{{{receiver.Url("/h")}}}"}}
            """);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.True(outcome.Delivered, outcome.Error);
        Assert.Equal(3, outcome.Attempts);
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Empty(_log);
    }

    [Fact]
    public async Task A_channel_that_keeps_failing_is_logged_once_without_its_secret_url_and_never_throws()
    {
        using var receiver = new HttpReceiver(HttpStatusCode.InternalServerError);
        var downPort = HttpReceiver.FreePort();
        var config = _config.Load($$$"""
              broken: {slack: {url: "{{{receiver.Url("/services/T000/B000/SECRETsecret")}}}"}}
              down: {slack: {url: "http://127.0.0.1:{{{downPort}}}/services/T111/B111/SECRETdown"}}
            """);
        using var notifier = Notifier(config);
        var clock = Stopwatch.StartNew();

        var outcomes = await notifier.NotifyAsync(NotificationTestConfig.Failure());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
        Assert.Equal(["broken", "down"], outcomes.Select(o => o.Channel));
        Assert.All(outcomes, o => Assert.Equal(3, o.Attempts));
        Assert.Equal("HTTP 500 Internal Server Error", outcomes[0].Error);
        Assert.Contains("Connection refused", outcomes[1].Error, StringComparison.Ordinal);
        Assert.Equal(3, receiver.Requests.Count);
        Assert.Equal(2, _log.Count);
        Assert.Contains(_log, l => l.StartsWith("notification broken (slack) for job db-nightly (failure) failed after 3 attempts: HTTP 500", StringComparison.Ordinal));
        Assert.Contains(_log, l => l.StartsWith("notification down (slack) for job db-nightly (failure) failed after 3 attempts: ", StringComparison.Ordinal));
        Assert.All(_log, l => Assert.DoesNotContain("SECRET", l, StringComparison.Ordinal));
        Assert.All(_log, l => Assert.DoesNotContain('\n', l));
    }

    [Fact]
    public async Task A_permanent_refusal_is_not_retried()
    {
        using var receiver = new HttpReceiver(HttpStatusCode.NotFound);
        var config = _config.Load($$$"""
              gone: {webhook: {url: "{{{receiver.Url("/revoked")}}}"}}
            """);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.Equal((1, "HTTP 404 Not Found"), (outcome.Attempts, outcome.Error));
        Assert.Single(receiver.Requests);
        Assert.Single(_log);
    }

    [Fact]
    public async Task A_hung_channel_is_abandoned_within_the_total_timeout()
    {
        using var receiver = new HttpReceiver { Delay = TimeSpan.FromSeconds(30) };
        var config = _config.Load($$$"""
              slow: {webhook: {url: "{{{receiver.Url("/slow")}}}"}}
            """);
        using var notifier = Notifier(config, NotificationTestConfig.FastRetries with
        {
            MaxAttempts = 5,
            AttemptTimeout = TimeSpan.FromMilliseconds(400),
            TotalTimeout = TimeSpan.FromSeconds(1),
        });
        var clock = Stopwatch.StartNew();

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.False(outcome.Delivered);
        Assert.InRange(outcome.Attempts, 2, 3);
        Assert.Equal("gave up after 1s", outcome.Error);
        Assert.Single(_log);
    }

    [Fact]
    public async Task A_cancelled_caller_gets_outcomes_not_an_exception()
    {
        using var receiver = new HttpReceiver { Delay = TimeSpan.FromSeconds(30) };
        var config = _config.Load($$$"""
              slow: {webhook: {url: "{{{receiver.Url("/slow")}}}"}}
            """);
        using var notifier = Notifier(config);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure(), cancel.Token));

        Assert.Equal("cancelled", outcome.Error);
    }
}
