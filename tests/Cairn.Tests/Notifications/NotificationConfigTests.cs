using Cairn.Tests.Config;

namespace Cairn.Tests.Notifications;

/// <summary>What the loader says about notification channels and jobs' notify: lists (file:line:col problems).</summary>
public sealed class NotificationConfigTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string Config(string notifications, string notify = "notify: [ops]") => $"""
        targets: {"{"}t: {"{"}repository: /r{"}"}{"}"}
        jobs:
          db:
            targets: [t]
            {notify}
            components: [{"{"}name: c, type: files, paths: [/etc]{"}"}]
        notifications:
        {notifications}
        """;

    [Fact]
    public void Every_kind_of_channel_loads_with_its_settings()
    {
        _files.Write("ca.pem", "not read at load\n");
        _files.Write("mail.pass", "from-file\n");
        var config = _files.Load(Config("""
              ops:
                on: [failure, success]
                webhook: {url: "https://hooks.example.org/cairn", headers: {Authorization: Bearer x}}
              chat: {slack: {url: "https://hooks.slack.com/services/T/B/X"}}
              mail:
                email: {host: smtp.example.org, ca_file: ca.pem, username: u, password_file: mail.pass, from: cairn@example.org, to: [ops@example.org]}
              hc: {healthchecks: {url: "https://hc-ping.com/uuid"}}
            """));
        Assert.Equal(["ops", "chat", "mail", "hc"], config.Notifications.Keys);
        Assert.Equal("https://hooks.example.org/cairn", config.Notifications["ops"].Webhook!.Url);
        Assert.Equal(587, config.Notifications["mail"].Email!.Port);
        Assert.Equal(Cairn.Orchestration.Config.SmtpSecurity.Starttls, config.Notifications["mail"].Email!.Security);
        Assert.Equal("from-file", config.Notifications["mail"].Email!.Password);
        Assert.Equal(["ops"], config.Jobs[0].Notify);
    }

    [Fact]
    public void A_channel_needs_exactly_one_kind()
    {
        var problems = _files.Problems(Config("""
              ops:
                webhook: {url: "https://a.example.org/"}
                slack: {url: "https://b.example.org/"}
              none:
                on: [failure]
            """));
        Assert.Equal([
            "10:5: notifications.ops: a notification has exactly one kind, but this one has webhook and slack; define one notification per kind",
            "11:3: notifications.none: a notification needs one of webhook, slack, email, healthchecks",
        ], problems);
    }

    [Fact]
    public void Urls_must_be_absolute_http_or_https_and_the_message_does_not_repeat_them()
    {
        var problems = _files.Problems(Config("""
              ops: {webhook: {url: "hooks.example.org/secret-path"}}
              chat: {slack: {url: "ftp://files.example.org/secret-path"}}
            """));
        Assert.Equal([
            "8:24: notifications.ops.webhook.url: not an absolute URL (it must start with https:// or http://)",
            "9:23: notifications.chat.slack.url: the scheme must be https or http, not 'ftp'",
        ], problems);
        Assert.All(problems, p => Assert.DoesNotContain("secret-path", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Notify_must_name_defined_channels()
    {
        var problems = _files.Problems(Config("""
              ops-mail: {email: {host: h, from: a@example.org, to: [b@example.org]}}
            """, notify: "notify: [ops-mial, pager]"));
        Assert.Equal([
            "5:14: jobs.db.notify: undefined notification channel 'ops-mial'; did you mean 'ops-mail'?",
            "5:24: jobs.db.notify: undefined notification channel 'pager'; defined channels: ops-mail",
        ], problems);
    }

    [Fact]
    public void Email_addresses_port_and_ca_file_are_checked()
    {
        var problems = _files.Problems(Config("""
              ops:
                email: {host: h, port: 70000, ca_file: missing-ca.pem, from: not-an-address, to: []}
            """));
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.EndsWith("notifications.ops.email.port: 70000 is not a TCP port (1-65535)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.EndsWith("notifications.ops.email.from: 'not-an-address' is not an email address", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.EndsWith("notifications.ops.email.to: name at least one recipient", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("notifications.ops.email.ca_file: no such file '" + Path.Combine(_files.Root, "missing-ca.pem"), StringComparison.Ordinal));
    }
}
