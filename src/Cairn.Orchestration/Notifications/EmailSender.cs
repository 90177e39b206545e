using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Cairn.Orchestration.Config;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Cairn.Orchestration.Notifications;

/// <summary>
/// Email over SMTP with MailKit: STARTTLS by default (and then required: a server that does not offer it fails the
/// send rather than sending in the clear), TLS from the first byte, or none for a relay on the same host. A
/// <c>ca_file</c> adds CAs trusted for the server's certificate, for servers signed by a private CA.
/// </summary>
internal sealed class EmailSender(NotificationDefinition definition, EmailChannel channel, string? caFile, TimeSpan timeout) : INotificationSender
{
    public string Kind => "email";

    public bool Wants(JobEvent e) => !e.Started && definition.On.Contains(e.Kind);

    public async Task SendAsync(JobEvent e, CancellationToken cancellationToken)
    {
        using var message = Message(e);
        using var client = new SmtpClient { Timeout = (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds) };
        X509Certificate2Collection? authorities = null;
        try
        {
            if (caFile is not null)
            {
                authorities = new X509Certificate2Collection();
                authorities.ImportFromPemFile(caFile);
                client.ServerCertificateValidationCallback = (_, certificate, chain, errors) => Trusted(certificate, chain, errors, authorities);
            }
            var security = channel.Security switch
            {
                SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            };
            await client.ConnectAsync(channel.Host, channel.Port, security, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(channel.Username))
                await client.AuthenticateAsync(channel.Username, channel.Password ?? "", cancellationToken).ConfigureAwait(false);
            await client.SendAsync(message, cancellationToken).ConfigureAwait(false);
            await client.DisconnectAsync(true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (authorities is not null) foreach (var authority in authorities) authority.Dispose();
        }
    }

    /// <summary>The message: the headline as subject, the text body with every field and the log tail.</summary>
    public MimeMessage Message(JobEvent e)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(channel.From));
        foreach (var to in channel.To) message.To.Add(MailboxAddress.Parse(to));
        message.Subject = NotificationText.Subject(e);
        message.Date = e.Time;
        message.Headers.Add("X-Cairn-Event", NotificationText.EventName(e));
        message.Headers.Add("X-Cairn-Job", e.Job);
        message.Body = new TextPart("plain") { Text = NotificationText.Body(e) };
        return message;
    }

    // The system's roots are tried first (errors == None); only a chain the system cannot build is rebuilt on the
    // configured CAs. A name mismatch is never forgiven: a private CA does not make a wrong host right.
    private static bool Trusted(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA rarely publishes a CRL
        if (chain is not null) foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
