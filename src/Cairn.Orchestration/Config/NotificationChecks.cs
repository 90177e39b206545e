using MimeKit;

namespace Cairn.Orchestration.Config;

/// <summary>
/// Checks on <c>notifications:</c> and on jobs' <c>notify:</c> that binding one value at a time cannot make: each
/// channel has exactly one kind, its URLs are absolute http(s) URLs, its email addresses parse, its CA file exists, and
/// every name a job's <c>notify:</c> lists is a defined channel. A mistake here would otherwise only show on the night a
/// backup fails and nobody is told.
/// </summary>
internal static class NotificationChecks
{
    private static readonly string[] s_kinds = ["webhook", "slack", "email", "healthchecks"];

    public static void Check(ConfigMapping root, ConfigBinder binder, string configPath)
    {
        var names = new List<string>();
        if (root.Get("notifications") is ConfigMapping notifications)
        {
            foreach (var (key, node) in notifications.Entries)
            {
                names.Add(key.Value);
                if (node is ConfigMapping channel) CheckChannel(key, channel, binder, configPath);
            }
        }
        if (root.Get("jobs") is not ConfigMapping jobs) return;
        foreach (var (jobKey, jobNode) in jobs.Entries)
        {
            if (jobNode is not ConfigMapping job || job.Get("notify") is not ConfigSequence notify) continue;
            foreach (var item in notify.Items.OfType<ConfigScalar>())
            {
                if (item.IsNull || names.Contains(item.Value) || item.Value.Contains('$', StringComparison.Ordinal)) continue;
                var hint = Suggestions.DidYouMean(item.Value, names);
                binder.Problem(item, $"jobs.{jobKey.Value}.notify: undefined notification channel '{item.Value}';" +
                    (hint.Length > 0 ? hint : names.Count > 0 ? " defined channels: " + string.Join(", ", names) : " the file defines no notifications"));
            }
        }
    }

    private static void CheckChannel(ConfigScalar key, ConfigMapping channel, ConfigBinder binder, string configPath)
    {
        var path = "notifications." + key.Value;
        var given = channel.Entries.Where(e => s_kinds.Contains(e.Key.Value) && e.Value is not ConfigScalar { IsNull: true }).ToList();
        if (given.Count == 0)
        {
            binder.Problem(key, $"{path}: a notification needs one of {string.Join(", ", s_kinds)}");
            return;
        }
        if (given.Count > 1)
        {
            binder.Problem(given[1].Key, $"{path}: a notification has exactly one kind, but this one has {string.Join(" and ", given.Select(g => g.Key.Value))}; define one notification per kind");
            return;
        }
        var (kind, body) = (given[0].Key.Value, given[0].Value);
        if (body is not ConfigMapping settings) return; // the binder reports a scalar or list where a mapping belongs
        var settingsPath = path + "." + kind;
        if (kind is "webhook" or "slack" or "healthchecks") CheckUrl(settings, binder, settingsPath);
        if (kind == "email") CheckEmail(settings, binder, settingsPath, configPath);
    }

    private static void CheckUrl(ConfigMapping settings, ConfigBinder binder, string path)
    {
        if (settings.Get("url") is not { } node || binder.BindValue(typeof(string), true, node, path + ".url") is not string url) return;
        // The message never repeats the URL: in Slack's and Healthchecks' case the URL is the secret.
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            binder.Problem(node, $"{path}.url: not an absolute URL (it must start with https:// or http://)");
        else if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            binder.Problem(node, $"{path}.url: the scheme must be https or http, not '{uri.Scheme}'");
    }

    private static void CheckEmail(ConfigMapping settings, ConfigBinder binder, string path, string configPath)
    {
        if (settings.Get("port") is { } portNode && binder.BindValue(typeof(int), false, portNode, path + ".port") is int port && port is < 1 or > 65535)
            binder.Problem(portNode, $"{path}.port: {port} is not a TCP port (1-65535)");
        if (settings.Get("from") is { } fromNode) CheckAddress(fromNode, binder, path + ".from");
        if (settings.Get("to") is ConfigSequence to)
        {
            if (to.Items.Count == 0) binder.Problem(to, $"{path}.to: name at least one recipient");
            foreach (var item in to.Items) CheckAddress(item, binder, path + ".to");
        }
        if (settings.Get("ca_file") is { } caNode && binder.BindValue(typeof(string), true, caNode, path + ".ca_file") is string caFile)
        {
            var full = ResolvePath(caFile, configPath);
            if (!File.Exists(full)) binder.Problem(caNode, $"{path}.ca_file: no such file '{full}'");
        }
    }

    private static void CheckAddress(ConfigNode node, ConfigBinder binder, string path)
    {
        if (binder.BindValue(typeof(string), true, node, path) is not string address) return;
        if (!MailboxAddress.TryParse(address, out var mailbox) || !mailbox.Address.Contains('@', StringComparison.Ordinal))
            binder.Problem(node, $"{path}: '{address}' is not an email address");
    }

    /// <summary>A path from the config, relative to the config file's directory (as <c>*_file</c> secrets are).</summary>
    public static string ResolvePath(string path, string configPath) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(path, Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? ".");
}
