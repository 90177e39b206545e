using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Cairn.Storage.Rest;

/// <summary>
/// One <c>rclone serve restic --stdio</c> child: it speaks HTTP/2 on its standard input and output, and ends when its
/// input is closed. Its standard error is kept (the last lines) so failures can be explained with rclone's own words.
/// </summary>
internal sealed partial class RcloneProcess
{
    private const int KeptLines = 40;

    private readonly Process _process;
    private readonly TimeSpan _stopTimeout;
    private readonly Queue<string> _stderr = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Completed with the exit code by the Exited event, so it stays readable after the Process object is disposed.
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _stop;
    private long _errorCount;
    private string? _lastError;

    private RcloneProcess(Process process, TimeSpan stopTimeout)
    {
        _process = process;
        _stopTimeout = stopTimeout;
    }

    /// <summary>True once rclone has sent anything, i.e. it started serving (an rclone that never did failed to start).</summary>
    public bool HasAnswered { get; private set; }

    /// <summary>Starts rclone for <paramref name="options"/> with the resolved program <paramref name="program"/>.</summary>
    public static RcloneProcess Start(RcloneOptions options, string program)
    {
        // In a session of its own (setsid), like restic starts it: a Ctrl-C at the terminal goes to the whole foreground
        // process group, and an rclone killed by it could not serve what Cairn still does while it stops (removing its lock).
        var setsid = options.FindProgram("setsid");
        var start = new ProcessStartInfo(setsid ?? program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -w: should setsid have to fork (it never does for a child of ours, which leads no process group), it still
        // waits for rclone, so the exit code and the end of the process remain rclone's.
        string[] arguments = setsid is null ? ["serve", "restic", "--stdio", options.Remote] : ["-w", program, "serve", "restic", "--stdio", options.Remote];
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in options.Environment) start.Environment[name] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new RcloneProcess(process, options.StopTimeout);
        process.ErrorDataReceived += (_, e) => child.OnStderr(e.Data);
        process.Exited += (_, _) => child._exited.TrySetResult(process.ExitCode);
        process.Start();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The connection to this rclone; disposing it stops rclone.</summary>
    public Stream OpenStream() =>
        new PipeStream(_process.StandardOutput.BaseStream, _process.StandardInput.BaseStream, () => HasAnswered = true, StopAsync);

    /// <summary>Waits up to <paramref name="timeout"/> for rclone to exit; true if it has (its stderr is then complete).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _exited.Task.WaitAsync(cancel.Token).ConfigureAwait(false);
            await _stderrClosed.Task.WaitAsync(cancel.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>rclone's exit code; only meaningful after <see cref="WaitForExitAsync"/> returned true.</summary>
    public int ExitCode => _exited.Task.IsCompletedSuccessfully ? _exited.Task.Result : -1;

    /// <summary>How many ERROR lines rclone has logged so far.</summary>
    public long ErrorCount
    {
        get
        {
            lock (_lock) return _errorCount;
        }
    }

    /// <summary>The last ERROR line rclone logged, without its timestamp and level, or null.</summary>
    public string? LastError
    {
        get
        {
            lock (_lock) return _lastError;
        }
    }

    /// <summary>The last lines rclone wrote to stderr, without their timestamps.</summary>
    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_lock) return [.. _stderr];
        }
    }

    /// <summary>
    /// Closes rclone's input (it finishes and exits), and kills it if it has not exited after the stop timeout. Every
    /// caller (the connection's disposal, the store's) waits for the same stop.
    /// </summary>
    public ValueTask StopAsync()
    {
        lock (_lock) _stop ??= StopOnceAsync();
        return new ValueTask(_stop);
    }

    private async Task StopOnceAsync()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone: its end of the pipe is closed.
        }

        if (!await WaitForExitAsync(_stopTimeout).ConfigureAwait(false))
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the wait and the kill.
            }

            await WaitForExitAsync(_stopTimeout).ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }

        line = Timestamp().Replace(line, "").Trim();
        if (line.Length == 0) return;
        lock (_lock)
        {
            if (line.StartsWith("ERROR", StringComparison.Ordinal))
            {
                _errorCount++;
                _lastError = ErrorLevel().Replace(line, "");
            }

            _stderr.Enqueue(line);
            if (_stderr.Count > KeptLines) _stderr.Dequeue();
        }
    }

    // rclone prefixes each log line with "2006/01/02 15:04:05 ".
    [GeneratedRegex(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? ")]
    private static partial Regex Timestamp();

    // "ERROR : remote/path: message" -> "remote/path: message".
    [GeneratedRegex(@"^ERROR\s*:\s*")]
    private static partial Regex ErrorLevel();
}
