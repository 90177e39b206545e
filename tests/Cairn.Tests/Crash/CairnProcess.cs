using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cairn.Tests.Cli;

namespace Cairn.Tests.Crash;

/// <summary>How one run of the real cairn executable ended.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr, bool KilledByTest, TimeSpan Elapsed)
{
    /// <summary>The exit status of a process that died of SIGKILL, as .NET reports it (128 + 9).</summary>
    public const int SigKill = 137;

    /// <summary>True when the process killed itself at its CAIRN_TEST_CRASH_AT point.</summary>
    public bool CrashedAtPoint => ExitCode == SigKill && Stderr.Contains("cairn: test crash at ", StringComparison.Ordinal);

    public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

    public string Summary => $"{Elapsed.TotalSeconds:F2} s: cairn {Command} -> {ExitCode}{(KilledByTest ? " (killed)" : "")}";

    public override string ToString() =>
        $"cairn {Command}: exit {ExitCode}{(KilledByTest ? " (killed by the test)" : "")} after {Elapsed.TotalSeconds:F2} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the real cairn executable (cairn.dll next to the test assembly, under `dotnet`) as a child process with its own
/// environment: repository, password, cheap KDF, private HOME and XDG directories. A run can be killed with SIGKILL
/// after a delay, or armed to kill itself at a named point (CAIRN_TEST_CRASH_AT, see docs/TESTING.md). Works for any
/// command, so prune and other crash tests can use it as backup's do.
/// </summary>
internal sealed class CairnProcess(string root, string repository, string password)
{
    /// <summary>A run that takes longer than this is a hang: it is killed and the test fails.</summary>
    public static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(120);

    private static readonly string s_dll = Path.Combine(AppContext.BaseDirectory, "cairn.dll");

    // Inherited variables that would override what the test sets (the password sources take precedence over
    // CAIRN_PASSWORD) or arm the crash hook where the test did not ask for it.
    private static readonly string[] s_cleared =
        ["CAIRN_PASSWORD_FILE", "CAIRN_PASSWORD_COMMAND", Cairn.CrashPoints.EnvironmentVariable, "CAIRN_REPOSITORY", "CAIRN_PASSWORD"];

    public string Repository { get; } = repository;

    /// <summary>Called with every result, e.g. to write what ran and how long it took to the test's output.</summary>
    public Action<ProcessResult>? Log { get; set; }

    /// <summary>Extra environment for every run (e.g. a different repository).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>Runs to completion and asserts the exit code.</summary>
    public async Task<ProcessResult> RunAsync(int expectedExit, params string[] args)
    {
        var result = await StartAsync(args, crashAt: null, killAfter: null);
        Assert.True(result.ExitCode == expectedExit && !result.KilledByTest, $"expected exit {expectedExit}: {result}");
        return result;
    }

    /// <summary>Runs armed to kill itself at <paramref name="crashAt"/> ("point[:n]") and asserts it died there.</summary>
    public async Task<ProcessResult> CrashAtAsync(string crashAt, params string[] args)
    {
        var result = await StartAsync(args, crashAt, killAfter: null);
        Assert.True(result.CrashedAtPoint, $"expected a crash at {crashAt}: {result}");
        return result;
    }

    /// <summary>
    /// Starts a run and kills it with SIGKILL after <paramref name="delay"/> unless it has ended by then; the result says
    /// which happened (<see cref="ProcessResult.KilledByTest"/>).
    /// </summary>
    public Task<ProcessResult> KillAfterAsync(TimeSpan delay, params string[] args) => StartAsync(args, crashAt: null, killAfter: delay);

    /// <summary>
    /// Starts a run, waits until <paramref name="ready"/> says so (polled every 20 ms) or the run ends, then sends it
    /// SIGTERM and waits for it to end (graceful-stop tests).
    /// </summary>
    public Task<ProcessResult> TerminateWhenAsync(Func<bool> ready, params string[] args) =>
        StartAsync(args, crashAt: null, killAfter: null, during: async process =>
        {
            while (!process.HasExited && !ready()) await Task.Delay(20);
            if (!process.HasExited) CliHarness.Sh($"kill -TERM {process.Id}");
        });

    private async Task<ProcessResult> StartAsync(string[] args, string? crashAt, TimeSpan? killAfter, Func<Process, Task>? during = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // no terminal: nothing prompts
            UseShellExecute = false,
        };
        start.ArgumentList.Add(s_dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var name in s_cleared) start.Environment.Remove(name);
        start.Environment["CAIRN_REPOSITORY"] = Repository;
        start.Environment["CAIRN_PASSWORD"] = password;
        start.Environment["CAIRN_TEST_CHEAP_KDF"] = "1";
        start.Environment["HOME"] = Path.Combine(root, "home");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(root, "data");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(root, "config");
        start.Environment["XDG_STATE_HOME"] = Path.Combine(root, "state");
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in Environment) start.Environment[name] = value;
        if (crashAt is not null) start.Environment[Cairn.CrashPoints.EnvironmentVariable] = crashAt;

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExitAsync();
        if (during is not null) await during(process);
        bool killed = false;
        if (killAfter is { } delay && await Task.WhenAny(exited, Task.Delay(delay)) != exited)
        {
            Kill(process); // SIGKILL on Linux
            killed = true;
        }
        if (await Task.WhenAny(exited, Task.Delay(HangTimeout)) != exited)
        {
            Kill(process);
            await exited;
            Assert.Fail($"cairn {string.Join(' ', args)} hung: killed after {HangTimeout.TotalSeconds} s\nstderr:\n{await stderr}");
        }
        await exited;
        // A process that ended by itself just before the kill keeps its own exit code and does not count as killed.
        var result = new ProcessResult(string.Join(' ', args), process.ExitCode, await stdout, await stderr,
            killed && process.ExitCode == ProcessResult.SigKill, clock.Elapsed);
        Log?.Invoke(result);
        return result;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It exited in the meantime.
        }
    }
}
