using System.Globalization;
using System.Text;
using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Notifications;

/// <summary>
/// The words every channel uses for an event, so an email's subject, a Slack line and a webhook's <c>summary</c> say
/// the same thing: "FAILED db-nightly (research/prod): postgres: password authentication failed".
/// </summary>
public static class NotificationText
{
    /// <summary>The event's name in JSON and logs: started, failure, incomplete, stale or success.</summary>
    public static string EventName(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Started ? "started" : e.Kind.ToString().ToLowerInvariant();
    }

    /// <summary>The shouted word that leads a subject: STARTED, FAILED, INCOMPLETE, STALE or OK.</summary>
    public static string Status(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Started ? "STARTED" : e.Kind switch
        {
            NotificationEvent.Failure => "FAILED",
            NotificationEvent.Incomplete => "INCOMPLETE",
            NotificationEvent.Stale => "STALE",
            _ => "OK",
        };
    }

    /// <summary>"(research/prod)", "(research)", "(prod)" or "" when the config names neither.</summary>
    public static string Where(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var parts = new[] { e.Instance, e.Environment }.Where(p => !string.IsNullOrEmpty(p)).ToList();
        return parts.Count == 0 ? "" : "(" + string.Join('/', parts) + ")";
    }

    /// <summary>What happened, in one line: "postgres: password authentication failed", "no successful backup for 26h".</summary>
    public static string Detail(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Started) return "run started";
        var error = OneLine(e.Error);
        return e.Kind switch
        {
            NotificationEvent.Failure or NotificationEvent.Incomplete when error is not null =>
                string.IsNullOrEmpty(e.Component) ? error : $"{e.Component}: {error}",
            NotificationEvent.Failure => string.IsNullOrEmpty(e.Component) ? "the run failed" : $"{e.Component} failed",
            NotificationEvent.Incomplete => "the run stopped before it finished; the next run continues from what it uploaded",
            NotificationEvent.Stale => error ?? (e.LastSuccess is { } last
                ? $"no successful backup for {Age(e.Time - last)}"
                : "no successful backup yet"),
            _ => SuccessDetail(e),
        };
    }

    /// <summary>The one-line headline: "FAILED db-nightly (research/prod): postgres: password authentication failed".</summary>
    public static string Headline(JobEvent e)
    {
        var where = Where(e);
        return $"{Status(e)} {e.Job}{(where.Length > 0 ? " " + where : "")}: {Detail(e)}";
    }

    /// <summary>The email subject: the headline after "[cairn]".</summary>
    public static string Subject(JobEvent e) => "[cairn] " + Headline(e);

    /// <summary>The plain-text message body: the headline, every known field as "Name: value", then the log tail.</summary>
    public static string Body(JobEvent e)
    {
        var text = new StringBuilder();
        text.Append(Headline(e)).Append("\n\n");
        foreach (var (name, value) in Fields(e)) text.Append(name).Append(": ").Append(value).Append('\n');
        if (e.LogTail.Count > 0)
        {
            text.Append("\nLast log lines:\n");
            foreach (var line in e.LogTail) text.Append("  ").Append(line).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The event's known fields as (name, value) pairs for people, in a fixed order; unknown ones are left out.</summary>
    public static IReadOnlyList<(string Name, string Value)> Fields(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var fields = new List<(string, string)> { ("Job", e.Job) };
        if (!string.IsNullOrEmpty(e.Instance)) fields.Add(("Instance", e.Instance));
        if (!string.IsNullOrEmpty(e.Environment)) fields.Add(("Environment", e.Environment));
        fields.Add(("Event", EventName(e)));
        fields.Add(("Time", Timestamp(e.Time)));
        if (!string.IsNullOrEmpty(e.Component)) fields.Add(("Component", e.Component));
        if (OneLine(e.Error) is { } error) fields.Add(("Error", error));
        if (OneLine(e.Hint) is { } hint) fields.Add(("Hint", hint));
        if (!string.IsNullOrEmpty(e.SnapshotId)) fields.Add(("Snapshot", e.SnapshotId));
        if (e.Duration is { } duration) fields.Add(("Duration", Age(duration)));
        if (e.BytesRead > 0 || e.BytesAdded > 0) fields.Add(("Bytes", $"{Bytes(e.BytesRead)} read, {Bytes(e.BytesAdded)} added"));
        if (e.Files > 0) fields.Add(("Files", e.Files.ToString(CultureInfo.InvariantCulture)));
        if (e.LastSuccess is { } last) fields.Add(("Last success", Timestamp(last)));
        else if (e.Kind == NotificationEvent.Stale && !e.Started) fields.Add(("Last success", "never"));
        return fields;
    }

    /// <summary>UTC, to the second, ISO 8601: what every channel prints for a time.</summary>
    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A span as people say it: "45s", "3m 4s", "26h", "26h 5m", "4d 2h".</summary>
    public static string Age(TimeSpan span)
    {
        if (span < TimeSpan.Zero) span = TimeSpan.Zero;
        if (span.TotalHours >= 72) return span.Hours == 0 ? $"{span.Days}d" : $"{span.Days}d {span.Hours}h";
        if (span.TotalHours >= 1) return span.Minutes == 0 ? $"{(int)span.TotalHours}h" : $"{(int)span.TotalHours}h {span.Minutes}m";
        if (span.TotalMinutes >= 1) return span.Seconds == 0 ? $"{span.Minutes}m" : $"{span.Minutes}m {span.Seconds}s";
        return span.TotalSeconds >= 1 ? $"{span.Seconds}s" : $"{span.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture)}s";
    }

    /// <summary>Binary units with one decimal: "1.5 GiB".</summary>
    public static string Bytes(long bytes)
    {
        if (bytes < 1024) return $"{bytes} B";
        double value = bytes;
        var units = "KMGTPE";
        int unit = -1;
        do
        {
            value /= 1024;
            unit++;
        } while (value >= 1024 && unit < units.Length - 1);
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit] + "iB";
    }

    /// <summary>The first line of <paramref name="text"/>, trimmed; null when there is none.</summary>
    public static string? OneLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var line = text.Trim().Split('\n', 2)[0].Trim();
        return line.Length > 0 ? line : null;
    }

    private static string SuccessDetail(JobEvent e)
    {
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(e.SnapshotId)) parts.Add("snapshot " + e.SnapshotId);
        if (e.BytesRead > 0 || e.BytesAdded > 0) parts.Add($"{Bytes(e.BytesRead)} read, {Bytes(e.BytesAdded)} added");
        if (e.Duration is { } duration) parts.Add("in " + Age(duration));
        return parts.Count > 0 ? string.Join(", ", parts) : "backup succeeded";
    }
}
