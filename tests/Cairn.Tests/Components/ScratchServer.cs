using System.Diagnostics;

namespace Cairn.Tests.Components;

/// <summary>
/// A second server a test starts on a restored data directory (etcd, Prometheus) and kills when disposed, with its
/// output in a log file the failure message quotes.
/// </summary>
internal sealed class ScratchServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _log;

    private ScratchServer(Process process, string log)
    {
        _process = process;
        _log = log;
    }

    /// <summary>Starts <paramref name="program"/> with its stdout and stderr going to <paramref name="log"/>.</summary>
    public static ScratchServer Start(string program, IReadOnlyList<string> arguments, string log)
    {
        // Through sh so the output goes straight to the file: nothing in the test process has to drain it.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >\"$CAIRN_SCRATCH_LOG\" 2>&1");
        start.ArgumentList.Add(program);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["CAIRN_SCRATCH_LOG"] = log;
        return new ScratchServer(Process.Start(start)!, log);
    }

    /// <summary>Waits until <paramref name="ready"/> says yes; fails with the log's tail when the server exits or 30 s pass.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) break;
            try
            {
                if (await ready()) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        var tail = File.Exists(_log) ? string.Join('\n', File.ReadLines(_log).TakeLast(10)) : "(no log)";
        Assert.Fail($"the scratch server {(_process.HasExited ? $"exited with {_process.ExitCode}" : "did not get ready in 30 s")}:\n{tail}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
