using Cairn.Orchestration.Config;
using Cairn.Orchestration.Notifications;
using Cairn.Tests.Components;
using MimeKit;

namespace Cairn.Tests.Notifications;

/// <summary>
/// The email channel against real SMTP servers on loopback (tests/servers/smtp.sh): Postfix's smtp-sink for plain SMTP,
/// and aiosmtpd with a throw-away CA for STARTTLS (a server that refuses MAIL before STARTTLS) and for TLS.
/// </summary>
public sealed class EmailNotificationTests : IDisposable
{
    private readonly NotificationTestConfig _config = new();
    private readonly List<string> _log = [];
    private readonly string _host = TestServerVariables.Get("CAIRN_TEST_SMTP_HOST", "smtp.sh");

    public void Dispose() => _config.Dispose();

    private static string Var(string name) => TestServerVariables.Get(name, "smtp.sh");

    private Notifier Notifier(CairnConfig config) => new(config, line => { lock (_log) _log.Add(line); }, NotificationTestConfig.FastRetries);

    private CairnConfig Email(string port, string security, string? caFile, string marker) => _config.Load($$$"""
          mail:
            on: [failure, success]
            email:
              host: {{{_host}}}
              port: {{{port}}}
              security: {{{security}}}
              {{{(caFile is null ? "" : "ca_file: " + caFile)}}}
              from: "Cairn <cairn@{{{marker}}}.example>"
              to: [ops@example.org, "DBA Team <dba@example.org>"]
        """);

    /// <summary>The one message in <paramref name="directory"/> (searched recursively) whose text holds <paramref name="marker"/>.</summary>
    private static MimeMessage Received(string directory, string marker)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var files = Directory.Exists(directory)
                ? Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Where(f => File.ReadAllText(f).Contains(marker, StringComparison.Ordinal)).ToList()
                : [];
            if (files.Count == 1) return MimeMessage.Load(files[0]);
            Assert.True(files.Count == 0 && DateTime.UtcNow < deadline, $"{files.Count} messages with {marker} in {directory}");
            Thread.Sleep(100);
        }
    }

    private static string Marker() => "m" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Email_over_plain_smtp_reaches_smtp_sink_with_the_headline_as_subject_and_every_field_in_the_body()
    {
        var marker = Marker();
        var config = Email(Var("CAIRN_TEST_SMTP_PLAIN_PORT"), "none", null, marker);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.True(outcome.Delivered, outcome.Error);
        var message = Received(Var("CAIRN_TEST_SMTP_PLAIN_DIR"), marker);
        Assert.Equal("[cairn] FAILED db-nightly (research/prod): postgres: password authentication failed for user \"backup\"", message.Subject);
        Assert.Equal($"cairn@{marker}.example", message.From.Mailboxes.Single().Address);
        Assert.Equal(["ops@example.org", "dba@example.org"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("failure", message.Headers["X-Cairn-Event"]);
        var body = message.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Contains("Job: db-nightly\nInstance: research\nEnvironment: prod\nEvent: failure\nTime: 2026-11-23T02:00:07Z\nComponent: postgres\n", body, StringComparison.Ordinal);
        Assert.Contains("Hint: check the credentials in the job's config", body, StringComparison.Ordinal);
        Assert.Contains("Last log lines:\n  pg_dump: connecting to 127.0.0.1:5432\n", body, StringComparison.Ordinal);
        Assert.Empty(_log);
    }

    [Fact]
    public async Task Email_with_starttls_is_delivered_after_the_upgrade_to_a_server_that_refuses_mail_before_it()
    {
        var marker = Marker();
        var config = Email(Var("CAIRN_TEST_SMTP_STARTTLS_PORT"), "starttls", Var("CAIRN_TEST_SMTP_CA"), marker);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.True(outcome.Delivered, outcome.Error);
        var message = Received(Var("CAIRN_TEST_SMTP_STARTTLS_DIR"), marker);
        Assert.StartsWith("[cairn] FAILED db-nightly", message.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_starttls_server_refuses_a_client_that_does_not_upgrade_so_delivery_there_proves_the_upgrade()
    {
        var marker = Marker();
        var config = Email(Var("CAIRN_TEST_SMTP_STARTTLS_PORT"), "none", null, marker);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        // 530 is permanent: one attempt, one log line, no exception.
        Assert.Equal(1, outcome.Attempts);
        Assert.Equal("the server refused to take mail: Must issue a STARTTLS command first", outcome.Error);
        Assert.Single(_log);
    }

    [Fact]
    public async Task Starttls_without_the_ca_file_fails_untrusted_and_is_not_retried()
    {
        var marker = Marker();
        var config = Email(Var("CAIRN_TEST_SMTP_STARTTLS_PORT"), "starttls", null, marker);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.False(outcome.Delivered);
        Assert.Equal(1, outcome.Attempts);
        Assert.StartsWith("TLS handshake failed: ", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("certificate", outcome.Error, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("name it in ca_file)", outcome.Error, StringComparison.Ordinal);
        Assert.Single(_log);
    }

    [Fact]
    public async Task Email_over_tls_from_the_first_byte_trusts_the_private_ca_from_ca_file()
    {
        var marker = Marker();
        // A relative ca_file is read from the config file's directory.
        File.Copy(Var("CAIRN_TEST_SMTP_CA"), Path.Combine(_config.Root, "private-ca.pem"));
        var config = Email(Var("CAIRN_TEST_SMTP_TLS_PORT"), "tls", "private-ca.pem", marker);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Success()));

        Assert.True(outcome.Delivered, outcome.Error);
        var message = Received(Var("CAIRN_TEST_SMTP_TLS_DIR"), marker);
        Assert.Equal("[cairn] OK db-nightly (research/prod): snapshot 1a2b3c4d, 3.0 GiB read, 12.0 MiB added, in 3m 4s", message.Subject);
    }

    [Fact]
    public async Task An_smtp_server_that_is_down_is_retried_and_logged_without_the_password()
    {
        var config = _config.Load($$$"""
              mail:
                email: {host: 127.0.0.1, port: {{{HttpReceiver.FreePort()}}}, security: none, username: u, password: "pa55-SECRET", from: a@example.org, to: [b@example.org]}
            """);
        using var notifier = Notifier(config);

        var outcome = Assert.Single(await notifier.NotifyAsync(NotificationTestConfig.Failure()));

        Assert.Equal(3, outcome.Attempts);
        var line = Assert.Single(_log);
        Assert.StartsWith("notification mail (email) for job db-nightly (failure) failed after 3 attempts: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", line, StringComparison.Ordinal);
    }
}
