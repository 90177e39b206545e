using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Orchestration.Config;

namespace Cairn.Orchestration.Service;

/// <summary>
/// The daemon's log on stdout: one line per event, as text (<c>2025-01-02T03:04:05Z info  [job] message key=value</c>)
/// or as a JSON object per line (<c>time</c>, <c>level</c>, <c>job</c>, <c>message</c> and the event's fields), for
/// journald, Loki and the like. Thread-safe.
/// </summary>
public sealed class DaemonLog
{
    private readonly TextWriter _out;
    private readonly LogFormat _format;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    /// <summary>Writes to <paramref name="output"/> in <paramref name="format"/>, stamping lines with <paramref name="time"/>.</summary>
    public DaemonLog(TextWriter output, LogFormat format, TimeProvider time)
    {
        _out = output;
        _format = format;
        _time = time;
    }

    /// <summary>An ordinary event.</summary>
    public void Info(string? job, string message, params (string Key, object? Value)[] fields) => Write("info", job, message, fields);

    /// <summary>Something that needs attention (a failed run, a stale job).</summary>
    public void Warn(string? job, string message, params (string Key, object? Value)[] fields) => Write("warn", job, message, fields);

    /// <summary>Writes one line.</summary>
    public void Write(string level, string? job, string message, IReadOnlyList<(string Key, object? Value)> fields)
    {
        var now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        string line;
        if (_format == LogFormat.Json)
        {
            var node = new JsonObject { ["time"] = now, ["level"] = level };
            if (job is not null) node["job"] = job;
            node["message"] = message;
            foreach (var (key, value) in fields)
                if (value is not null) node[key] = JsonSerializer.SerializeToNode(value);
            line = node.ToJsonString();
        }
        else
        {
            var text = new System.Text.StringBuilder().Append(now).Append(' ').Append(level.PadRight(5));
            if (job is not null) text.Append(" [").Append(job).Append(']');
            text.Append(' ').Append(message);
            foreach (var (key, value) in fields)
                if (value is not null) text.Append(' ').Append(key).Append('=').Append(Quote(Text(value)));
            line = text.ToString();
        }
        lock (_lock)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    private static string Text(object value) => value switch
    {
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        TimeSpan span => JobEvents.Describe(span),
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string Quote(string value) =>
        value.Length > 0 && !value.Any(c => char.IsWhiteSpace(c) || c is '"' or '=') ? value : JsonSerializer.Serialize(value);
}
