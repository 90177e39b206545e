using System.Diagnostics;
using System.Net.Sockets;
using Cairn.Orchestration.Config;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Cairn.Orchestration.Notifications;

/// <summary>How hard the <see cref="Notifier"/> tries before it gives up on a channel.</summary>
public sealed record NotifierOptions
{
    /// <summary>Tries per channel and event, the first included.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The wait before the first retry; it doubles for each next one (with jitter).</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>One attempt that takes longer is abandoned (and retried while time remains).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>All attempts at one channel together never take longer than this.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The clock Polly waits on (tests may pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>What became of one event at one channel.</summary>
/// <param name="Channel">The channel's name in the config.</param>
/// <param name="Kind">webhook, slack, email or healthchecks.</param>
/// <param name="Attempts">How many times it was tried.</param>
/// <param name="Error">Why it failed, in one line with secrets removed; null when it was delivered.</param>
public sealed record NotificationOutcome(string Channel, string Kind, int Attempts, string? Error)
{
    /// <summary>It arrived.</summary>
    public bool Delivered => Error is null;
}

/// <summary>
/// Layer 6: sends job events to the config's notification channels. It picks the channels the job names in
/// <c>notify:</c> (all of them when it names none) and, of those, the ones whose <c>on:</c> lists the event; sends to
/// all of them at once; retries transient failures (connection refused or reset, timeouts, HTTP 5xx/408/429, SMTP 4xx)
/// with exponential backoff, within <see cref="NotifierOptions.TotalTimeout"/>; and logs each channel that still failed
/// as one line. It never throws: a channel that is down must not fail a backup. Secrets (URLs, passwords) are never
/// logged.
/// </summary>
public sealed class Notifier : IDisposable
{
    private readonly CairnConfig _config;
    private readonly NotifierOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Dictionary<string, Channel> _channels = [];

    /// <summary>
    /// A notifier for <paramref name="config"/>'s channels; <paramref name="log"/> receives one line per failed channel
    /// (and per event that no channel wanted to hear is NOT logged). <paramref name="http"/> is used for the HTTP
    /// channels when given (the notifier then does not dispose it).
    /// </summary>
    public Notifier(CairnConfig config, Action<string> log, NotifierOptions? options = null, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        _config = config;
        Log = log;
        _options = options ?? new NotifierOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxAttempts, 1);
        _ownsHttp = http is null;
        // No client-wide timeout: the per-attempt timeout of the pipeline cancels a hung request.
        _http = http ?? new HttpClient(new SocketsHttpHandler { ConnectTimeout = _options.AttemptTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        foreach (var (name, definition) in config.Notifications)
        {
            if (Create(definition) is { } channel) _channels[name] = channel;
        }
    }

    /// <summary>Where failure lines go.</summary>
    public Action<string> Log { get; }

    /// <summary>The channel names that would hear <paramref name="e"/>, in config order.</summary>
    public IReadOnlyList<string> ChannelsFor(JobEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var named = _config.FindJob(e.Job)?.Notify;
        return [.. _channels.Where(c => (named is null || named.Contains(c.Key)) && c.Value.Sender.Wants(e)).Select(c => c.Key)];
    }

    /// <summary>
    /// Sends <paramref name="e"/> to every channel that wants it and waits for all of them (at most
    /// <see cref="NotifierOptions.TotalTimeout"/> plus a moment). Never throws, not even when cancelled.
    /// </summary>
    public async Task<IReadOnlyList<NotificationOutcome>> NotifyAsync(JobEvent e, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(e);
        try
        {
            var sends = ChannelsFor(e).Select(name => SendAsync(name, _channels[name], e, cancellationToken)).ToList();
            return await Task.WhenAll(sends).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the one promise of this class is that it never fails its caller
        catch (Exception unexpected)
#pragma warning restore CA1031
        {
            Log($"notifications for job {e.Job} failed: {Describe(unexpected)}");
            return [];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private async Task<NotificationOutcome> SendAsync(string name, Channel channel, JobEvent e, CancellationToken cancellationToken)
    {
        int attempts = 0;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Pipeline().ExecuteAsync(async token =>
            {
                attempts++;
                await channel.Sender.SendAsync(e, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return new NotificationOutcome(name, channel.Sender.Kind, attempts, null);
        }
#pragma warning disable CA1031 // every failure becomes a log line: a channel must never fail the backup
        catch (Exception failure)
#pragma warning restore CA1031
        {
            var why = failure is TimeoutRejectedException && Stopwatch.GetElapsedTime(started) >= _options.TotalTimeout
                ? $"gave up after {NotificationText.Age(_options.TotalTimeout)}"
                : cancellationToken.IsCancellationRequested && failure is OperationCanceledException ? "cancelled" : Describe(failure);
            var error = channel.Redact(why);
            Log($"notification {name} ({channel.Sender.Kind}) for job {e.Job} ({NotificationText.EventName(e)}) failed after {attempts} " +
                $"attempt{(attempts == 1 ? "" : "s")}: {error}");
            return new NotificationOutcome(name, channel.Sender.Kind, attempts, error);
        }
    }

    // Outermost first: the total bound, then the retries, then each attempt's own bound (so a hung attempt is
    // abandoned and retried, and the whole series still ends in time).
    private ResiliencePipeline Pipeline()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider };
        builder.AddTimeout(_options.TotalTimeout);
        if (_options.MaxAttempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = _options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.FirstRetryDelay,
            });
        }
        builder.AddTimeout(_options.AttemptTimeout);
        return builder.Build();
    }

    /// <summary>Whether trying again may help: the network, timeouts, 5xx, SMTP 4xx; never TLS trust or credentials.</summary>
    public static bool IsTransient(Exception failure) => failure switch
    {
        NotificationHttpException http => http.IsTransient,
        TimeoutRejectedException => true,
        SslHandshakeException or System.Security.Authentication.AuthenticationException or MailKit.Security.AuthenticationException => false,
        SmtpCommandException smtp => (int)smtp.StatusCode < 500,
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } => false,
        HttpRequestException http => http.StatusCode is null || (int)http.StatusCode >= 500,
        SmtpProtocolException or ServiceNotConnectedException or SocketException or IOException => true,
        _ => false,
    };

    private static string Describe(Exception failure)
    {
        // The innermost message is the one that names the cause (connection refused, certificate untrusted).
        var message = failure switch
        {
            NotificationHttpException http => http.Message,
            TimeoutRejectedException timeout => $"no answer within {NotificationText.Age(timeout.Timeout)}",
            SmtpCommandException smtp => $"SMTP {(int)smtp.StatusCode}: {smtp.Message}",
            // MailKit's name for a 530 answer ("authentication required", or aiosmtpd's "must issue STARTTLS first").
            ServiceNotAuthenticatedException refused => $"the server refused to take mail: {refused.Message}",
            SslHandshakeException { InnerException: { } inner } => $"TLS handshake failed: {inner.Message} (if a private CA signed the server's certificate, name it in ca_file)",
            HttpRequestException { InnerException: { } inner } http => $"{http.Message} ({inner.Message})",
            _ => failure.Message,
        };
        return NotificationText.OneLine(message) ?? failure.GetType().Name;
    }

    private Channel? Create(NotificationDefinition d)
    {
        // The loader has checked that exactly one kind is set and that its URL is absolute; a record built in code
        // without one is left out rather than failing every event later.
        if (d.Webhook is { Url: { } webhookUrl } webhook) return new Channel(new WebhookSender(_http, d, webhook), [webhookUrl, .. webhook.Headers.Values]);
        if (d.Slack is { Url: { } slackUrl } slack) return new Channel(new SlackSender(_http, d, slack), [slackUrl]);
        if (d.Healthchecks is { Url: { } pingUrl } healthchecks) return new Channel(new HealthchecksSender(_http, healthchecks), [pingUrl]);
        if (d.Email is { } email)
        {
            var caFile = email.CaFile is null ? null : NotificationChecks.ResolvePath(email.CaFile, _config.SourcePath);
            return new Channel(new EmailSender(d, email, caFile, _options.AttemptTimeout), [email.Password]);
        }
        return null;
    }

    /// <summary>A channel's sender and the secrets its log lines must never show.</summary>
    private sealed class Channel(INotificationSender sender, IEnumerable<string?> secrets)
    {
        private readonly List<string> _secrets = [.. secrets.SelectMany(Variants).Where(s => s.Length >= 4).Distinct().OrderByDescending(s => s.Length)];

        public INotificationSender Sender { get; } = sender;

        public string Redact(string text)
        {
            foreach (var secret in _secrets) text = text.Replace(secret, "***", StringComparison.Ordinal);
            return text;
        }

        // A URL can be quoted whole, or by its path alone (the part of a Slack or Healthchecks URL that is the secret).
        private static IEnumerable<string> Variants(string? secret)
        {
            if (string.IsNullOrEmpty(secret)) yield break;
            yield return secret;
            if (Uri.TryCreate(secret, UriKind.Absolute, out var uri) && uri.PathAndQuery.Length > 1)
            {
                yield return uri.PathAndQuery;
                yield return uri.AbsoluteUri;
            }
        }
    }
}
