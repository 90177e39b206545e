namespace Cairn.Storage.Rest;

/// <summary>
/// REST over HTTP/2 on the standard input and output of an <c>rclone serve restic --stdio</c> child, which the store
/// starts when it first connects and stops when it is disposed.
/// </summary>
/// <remarks>
/// Why --stdio rather than a loopback port: rclone's --stdio speaks HTTP/2, which multiplexes many requests over the one
/// pipe, so <see cref="TransferOptions.Connections"/> transfers still run in parallel. The pipe is private to the two
/// processes (a port on 127.0.0.1 is open to every local user unless it gets a password), no address has to be parsed
/// from rclone's log, and rclone ends by itself when Cairn exits or is killed (its input closes), so no server is
/// ever left behind. If the connection breaks, the next request starts a fresh rclone.
/// </remarks>
internal sealed class RcloneTransport : RestTransport
{
    private static readonly TimeSpan s_exitWait = TimeSpan.FromSeconds(3);

    private readonly RcloneOptions _options;
    private readonly SocketsHttpHandler _handler;
    private readonly Lock _lock = new();
    private RcloneProcess? _current;
    private bool _disposed;

    public RcloneTransport(RcloneOptions options)
    {
        _options = options;
        _handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, _) => ValueTask.FromResult(Connect()),
            // One rclone per connection: keep it for the store's lifetime instead of restarting it after idle minutes.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
        };
        Client = new HttpMessageInvoker(_handler, disposeHandler: true);
    }

    // The host is never resolved: the connect callback ignores it and returns the pipe.
    public override Uri BaseUri { get; } = new("http://rclone/");

    public override HttpMessageInvoker Client { get; }

    public override Version HttpVersion => System.Net.HttpVersion.Version20;

    public override HttpVersionPolicy VersionPolicy => HttpVersionPolicy.RequestVersionExact;

    public override long ServerLogMark => Current()?.ErrorCount ?? 0;

    public override async ValueTask<string?> ServerErrorSinceAsync(long mark)
    {
        if (Current() is not { } process) return null;
        // rclone logs the error before it answers, but its stderr is read on another thread: allow it a moment.
        for (var waited = 0; process.ErrorCount <= mark && waited < 1000; waited += 20) await Task.Delay(20).ConfigureAwait(false);
        return process.ErrorCount > mark ? process.LastError : null;
    }

    public override async ValueTask<StorageException> ExplainAsync(Exception failure, string where)
    {
        if (FindInner<StorageException>(failure) is { } own) return own; // from Connect: rclone is missing
        var process = Current();
        if (process is null || !await process.WaitForExitAsync(s_exitWait).ConfigureAwait(false))
        {
            return new StorageException($"the connection to rclone for {where} was lost: {failure.Message}", isTransient: true, failure);
        }

        return Explain(process, failure, where);
    }

    public override async ValueTask DisposeAsync()
    {
        RcloneProcess? process;
        lock (_lock)
        {
            _disposed = true;
            process = _current;
        }

        Client.Dispose();
        if (process is not null) await process.StopAsync().ConfigureAwait(false);
    }

    private RcloneProcess? Current()
    {
        lock (_lock) return _current;
    }

    private Stream Connect()
    {
        var program = _options.ResolveProgram() ?? throw new StorageException(
            $"rclone is not installed (no '{_options.Program}' in PATH): install it (Debian: apt-get install rclone) to use {_options.Location}",
            isTransient: false);
        RcloneProcess process;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            process = RcloneProcess.Start(_options, program);
            _current = process;
        }

        return process.OpenStream();
    }

    private StorageException Explain(RcloneProcess process, Exception failure, string where)
    {
        var lines = process.StderrLines;
        var cause = lines.LastOrDefault(l => !l.StartsWith("NOTICE", StringComparison.Ordinal)) ?? lines.LastOrDefault() ?? "no message";
        if (lines.Any(l => l.Contains("didn't find section in config file", StringComparison.Ordinal)))
        {
            var config = _options.Environment.TryGetValue("RCLONE_CONFIG", out var path) ? path : "(rclone's default; 'rclone config file' shows it)";
            return new StorageLocationNotFoundException(
                $"rclone has no remote named '{_options.RemoteName}' in its config file {config}: add it with 'rclone config', " +
                "or set RCLONE_CONFIG to the config file that has it", failure);
        }

        // rclone that never answered could not start (bad flags, a remote it cannot open): starting it again will not
        // help. One that answered and then died may well work when restarted, which the next request does.
        return new StorageException(
            $"rclone serving {where} exited with code {process.ExitCode}: {cause}", isTransient: process.HasAnswered, failure);
    }
}
