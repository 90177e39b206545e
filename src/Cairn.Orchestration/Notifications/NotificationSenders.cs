using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Notifications;

/// <summary>Delivers one event to one channel, once; the <see cref="Notifier"/> decides about retries.</summary>
internal interface INotificationSender
{
    /// <summary>The channel kind for logs: webhook, slack, email or healthchecks.</summary>
    string Kind { get; }

    /// <summary>Whether the channel wants this event at all.</summary>
    bool Wants(JobEvent e);

    /// <summary>Sends it; throws on failure (see <see cref="Notifier"/> for which failures are retried).</summary>
    Task SendAsync(JobEvent e, CancellationToken cancellationToken);
}

/// <summary>An HTTP endpoint answered with a status that is not 2xx.</summary>
public sealed class NotificationHttpException(HttpStatusCode status, string? reason)
    : Exception($"HTTP {(int)status} {reason ?? status.ToString()}")
{
    /// <summary>The status the server answered.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>5xx, 408 and 429 may pass; other 4xx (wrong URL, revoked hook, bad token) will not.</summary>
    public bool IsTransient => (int)Status >= 500 || Status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
}

/// <summary>POSTs bodies for the HTTP channels, turning a non-2xx answer into <see cref="NotificationHttpException"/>.</summary>
internal static class HttpPost
{
    public static async Task SendAsync(HttpClient http, Uri uri, HttpContent? content, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("cairn", null));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value)) content?.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new NotificationHttpException(response.StatusCode, response.ReasonPhrase);
    }

    public static StringContent Json(JsonObject body) => new(body.ToJsonString(s_json), Encoding.UTF8, "application/json");

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
}

/// <summary>The generic webhook: <see cref="WebhookPayload.Generic"/> POSTed as JSON, with the configured headers.</summary>
internal sealed class WebhookSender(HttpClient http, NotificationDefinition definition, WebhookChannel channel) : INotificationSender
{
    public string Kind => "webhook";

    public bool Wants(JobEvent e) => !e.Started && definition.On.Contains(e.Kind);

    public Task SendAsync(JobEvent e, CancellationToken cancellationToken) =>
        HttpPost.SendAsync(http, new Uri(channel.Url!), HttpPost.Json(WebhookPayload.Generic(e)), channel.Headers, cancellationToken);
}

/// <summary>A Slack-compatible incoming webhook: <see cref="WebhookPayload.Slack"/> POSTed as JSON.</summary>
internal sealed class SlackSender(HttpClient http, NotificationDefinition definition, SlackChannel channel) : INotificationSender
{
    public string Kind => "slack";

    public bool Wants(JobEvent e) => !e.Started && definition.On.Contains(e.Kind);

    public Task SendAsync(JobEvent e, CancellationToken cancellationToken) =>
        HttpPost.SendAsync(http, new Uri(channel.Url!), HttpPost.Json(WebhookPayload.Slack(e)), null, cancellationToken);
}

/// <summary>
/// Healthchecks-style pings: URL/start when a run starts, URL on success, URL/fail (with the headline and log tail as
/// the body) on failure or incomplete. It hears every run whatever <c>on:</c> says, because the service measures
/// staleness itself from the success pings; stale events are not sent (the service already knows).
/// </summary>
internal sealed class HealthchecksSender(HttpClient http, HealthchecksChannel channel) : INotificationSender
{
    // Healthchecks.io keeps the first 100 kB of a ping body.
    private const int MaxBody = 100_000;

    public string Kind => "healthchecks";

    public bool Wants(JobEvent e) => e.Started || e.Kind != NotificationEvent.Stale;

    public Task SendAsync(JobEvent e, CancellationToken cancellationToken)
    {
        var suffix = e.Started ? "/start" : e.Kind == NotificationEvent.Success ? "" : "/fail";
        var body = e.Started ? "" : NotificationText.Headline(e) + "\n" + string.Join('\n', e.LogTail);
        if (Encoding.UTF8.GetByteCount(body) > MaxBody) body = body[^(MaxBody / 4)..]; // the end of a log says most
        return HttpPost.SendAsync(http, PingUri(channel.Url!, suffix), new StringContent(body, Encoding.UTF8, "text/plain"), null, cancellationToken);
    }

    /// <summary>The URL with <paramref name="suffix"/> added to its path (before any query string).</summary>
    public static Uri PingUri(string url, string suffix)
    {
        var builder = new UriBuilder(url);
        builder.Path = builder.Path.TrimEnd('/') + suffix;
        return builder.Uri;
    }
}
