using System.Text.Json.Nodes;
using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Notifications;

/// <summary>
/// The JSON bodies POSTed to webhooks. The generic webhook's shape is a documented interface (README, "Alerts and
/// metrics"): every key is always present (null when unknown), keys are only ever added, and <c>version</c> changes
/// if one ever has to change meaning.
/// </summary>
public static class WebhookPayload
{
    /// <summary>The shape's version, sent as <c>version</c>.</summary>
    public const int Version = 1;

    /// <summary>The generic webhook's body.</summary>
    public static JsonObject Generic(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new JsonObject
        {
            ["version"] = Version,
            ["event"] = NotificationText.EventName(e),
            ["summary"] = NotificationText.Headline(e),
            ["job"] = e.Job,
            ["instance"] = e.Instance,
            ["environment"] = e.Environment,
            ["time"] = NotificationText.Timestamp(e.Time),
            ["component"] = e.Component,
            ["error"] = e.Error,
            ["hint"] = e.Hint,
            ["snapshot"] = e.SnapshotId,
            ["duration_seconds"] = e.Duration is { } d ? Math.Round(d.TotalSeconds, 3) : null,
            ["bytes_read"] = e.BytesRead,
            ["bytes_added"] = e.BytesAdded,
            ["files"] = e.Files,
            ["last_success"] = e.LastSuccess is { } last ? NotificationText.Timestamp(last) : null,
            ["log_tail"] = new JsonArray([.. e.LogTail.Select(line => (JsonNode?)JsonValue.Create(line))]),
        };
    }

    /// <summary>
    /// A Slack-compatible incoming-webhook body: <c>text</c> (all that Mattermost and Rocket.Chat need, and Slack's
    /// notification preview) plus one coloured attachment with the fields.
    /// </summary>
    public static JsonObject Slack(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var where = NotificationText.Where(e);
        var text = $"{Icon(e)} *{NotificationText.Status(e)}* job `{e.Job}`{(where.Length > 0 ? " " + where : "")}: {Escape(NotificationText.Detail(e))}";
        if (NotificationText.OneLine(e.Hint) is { } hint) text += $"\n_Hint:_ {Escape(hint)}";
        var fields = new JsonArray();
        foreach (var (name, value) in NotificationText.Fields(e))
        {
            if (name is "Error" or "Hint" or "Event") continue; // already in the text
            fields.Add(new JsonObject { ["title"] = name, ["value"] = Escape(value), ["short"] = value.Length <= 40 });
        }
        var attachment = new JsonObject { ["color"] = Colour(e), ["fallback"] = NotificationText.Headline(e), ["fields"] = fields };
        if (e.LogTail.Count > 0 && !e.Started && e.Kind is NotificationEvent.Failure or NotificationEvent.Incomplete)
            attachment["text"] = "```" + Escape(string.Join('\n', e.LogTail.TakeLast(20))) + "```";
        return new JsonObject { ["text"] = text, ["attachments"] = new JsonArray(attachment) };
    }

    private static string Icon(JobEvent e) => e.Started ? ":arrow_forward:" : e.Kind switch
    {
        NotificationEvent.Failure => ":x:",
        NotificationEvent.Incomplete => ":warning:",
        NotificationEvent.Stale => ":hourglass:",
        _ => ":white_check_mark:",
    };

    private static string Colour(JobEvent e) => e.Started ? "#439fe0" : e.Kind switch
    {
        NotificationEvent.Failure => "#d40e0d",
        NotificationEvent.Incomplete or NotificationEvent.Stale => "#e8a317",
        _ => "#2eb67d",
    };

    // Slack's three control characters; everything else in an error message is shown as it is.
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
