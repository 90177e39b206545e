using System.Diagnostics;

namespace Cairn.Components.Tools;

/// <summary>
/// Runs external tools for components, streaming their stdout into a backup or a restore's data into their stdin, and
/// turns every way a run can go wrong (tool missing, non-zero exit, killed by a signal, an error on stderr, the
/// consumer failing) into a <see cref="ComponentFailedException"/> that quotes the tool's own last words.
/// </summary>
public static class ToolRunner
{
    private const int StderrTailLines = 20;

    /// <summary>
    /// Runs the tool and hands its stdout to <paramref name="consumeStdout"/>, which must read it to the end. Succeeds
    /// only when the consumer returned, the tool exited 0, and stderr had no error line.
    /// </summary>
    public static Task RunReadingAsync(ToolCommand command, Func<Stream, CancellationToken, Task> consumeStdout, CancellationToken cancellationToken) =>
        RunAsync(command, redirectInput: false, async (process, ct) =>
        {
            await consumeStdout(process.StandardOutput.BaseStream, ct).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// Runs the tool with <paramref name="produceStdin"/> writing its stdin (closed when the producer returns), for
    /// restores that feed a dump back. Whatever the tool writes on stdout is passed to <paramref name="onOutputLine"/>.
    /// </summary>
    public static Task RunWritingAsync(ToolCommand command, Func<Stream, CancellationToken, Task> produceStdin, CancellationToken cancellationToken,
        Action<string>? onOutputLine = null) =>
        RunAsync(command, redirectInput: true, async (process, ct) =>
        {
            var drain = DrainLinesAsync(process.StandardOutput, onOutputLine, ct);
            try
            {
                await produceStdin(process.StandardInput.BaseStream, ct).ConfigureAwait(false);
            }
            finally
            {
                // Closing stdin is how the tool learns the data ended; a tool that already exited makes this throw.
                try { process.StandardInput.Close(); } catch (IOException) { }
            }
            await drain.ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Runs the tool to completion and returns its stdout as text (version queries, listings).</summary>
    public static async Task<string> RunCapturingAsync(ToolCommand command, CancellationToken cancellationToken)
    {
        string output = "";
        await RunAsync(command, redirectInput: false, async (process, ct) =>
        {
            output = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return output;
    }

    /// <summary>The full path of <paramref name="program"/> on PATH (or the path itself if it contains '/'), or null.</summary>
    public static string? Find(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal)) return File.Exists(program) ? program : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static async Task RunAsync(ToolCommand command, bool redirectInput, Func<Process, CancellationToken, Task> io, CancellationToken cancellationToken)
    {
        var path = Find(command.Program)
            ?? throw new ComponentFailedException($"{command.Program} is not installed: " +
                (command.InstallHint ?? $"install it with 'apt-get install {command.DebianPackage}'"));
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            WorkingDirectory = command.WorkingDirectory ?? "",
        };
        foreach (var a in command.Arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in command.Environment) start.Environment[k] = v;

        using var process = new Process { StartInfo = start };
        var stderr = new StderrTail(command.IsErrorLine);
        process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ComponentFailedException($"{command.Program} could not be started: {e.Message}", e);
        }
        process.BeginErrorReadLine();

        Exception? ioFailure = null;
        try
        {
            await io(process, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ioFailure = e;
            // The data is incomplete either way; a tool still running would block on a full pipe forever.
            TryKill(process);
        }
        // Wait without the token: after a kill the process ends at once, and its exit must be reaped.
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);

        if (ioFailure is OperationCanceledException && cancellationToken.IsCancellationRequested) throw ioFailure;
        if (process.ExitCode != 0)
            throw new ComponentFailedException($"{command.Program} {ExitDescription(process.ExitCode)}{stderr.Quote()}", ioFailure);
        if (ioFailure is CairnException) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ioFailure);
        if (ioFailure is not null)
            throw new ComponentFailedException($"{command.Program}: reading its output failed: {ioFailure.Message}{stderr.Quote()}", ioFailure);
        if (stderr.ErrorLine is { } line)
            throw new ComponentFailedException($"{command.Program} reported an error: {line}");
    }

    private static string ExitDescription(int exitCode) =>
        // .NET reports a child killed by signal N as 128 + N, as shells do.
        exitCode > 128 && exitCode < 160 ? $"was killed by signal {exitCode - 128}" : $"exited with status {exitCode}";

    private static async Task DrainLinesAsync(StreamReader reader, Action<string>? onLine, CancellationToken ct)
    {
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line) onLine?.Invoke(line);
    }

    private static void TryKill(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
    }

    /// <summary>Keeps the last lines of stderr for the failure message, and the first line that means failure.</summary>
    private sealed class StderrTail(Func<string, bool> isErrorLine)
    {
        private readonly Queue<string> _lines = new();
        private readonly Lock _lock = new();

        public string? ErrorLine { get; private set; }

        public void Add(string? line)
        {
            if (string.IsNullOrWhiteSpace(line)) return;
            lock (_lock)
            {
                if (_lines.Count == StderrTailLines) _lines.Dequeue();
                _lines.Enqueue(line.Trim());
                if (ErrorLine is null && isErrorLine(line)) ErrorLine = line.Trim();
            }
        }

        // The tool's own words make the one-line message: the error line if there was one, else the last line.
        public string Quote()
        {
            lock (_lock)
            {
                var said = ErrorLine ?? _lines.LastOrDefault();
                return said is null ? "" : ": " + said;
            }
        }
    }
}
