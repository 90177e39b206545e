using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Cairn.Cli;

namespace Cairn.Tests.Cli;

internal sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public JsonElement Json => JsonDocument.Parse(StdoutBytes).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the CLI in-process with its own temp directory, XDG dirs, cheap KDF, and a repository path in $CAIRN_REPOSITORY.</summary>
internal sealed class CliHarness : IDisposable
{
    public const string Password = "correct horse";

    public CliHarness()
    {
        Root = Path.Combine(Path.GetTempPath(), "cairn-cli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Env = new Dictionary<string, string?>
        {
            ["CAIRN_TEST_CHEAP_KDF"] = "1",
            ["HOME"] = Path.Combine(Root, "home"),
            ["XDG_DATA_HOME"] = Path.Combine(Root, "data"),
            ["XDG_CONFIG_HOME"] = Path.Combine(Root, "config"),
            ["XDG_STATE_HOME"] = Path.Combine(Root, "state"), // job state files: never the real /var/lib/cairn of a root test run
            ["CAIRN_REPOSITORY"] = Repo,
            ["CAIRN_PASSWORD"] = Password,
        };
    }

    public string Root { get; }

    public string Repo => Path.Combine(Root, "repo");

    public Dictionary<string, string?> Env { get; }

    /// <summary>Cold-storage tests: the store every location opens (a store double); null opens real stores.</summary>
    public Func<string, Cairn.Storage.IBlobStore>? StoreOverride { get; set; }

    /// <summary>Config tests: the component types config files bind to; null is the built-in catalog.</summary>
    public IReadOnlyList<Cairn.Components.ComponentType>? ComponentTypes { get; set; }

    /// <summary>The CLI's clock; null is the system clock.</summary>
    public TimeProvider? Time { get; set; }

    public async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int code = StoreOverride is null && Time is null && ComponentTypes is null
            ? await Program.RunAsync(args, stdout, stderr, Env)
            : await Program.RunAsync(args, new CliEnvironment(stdout, stderr, Env, interactive: false, stderrIsTerminal: false)
            {
                Time = Time ?? TimeProvider.System,
                StoreOverride = StoreOverride,
                ComponentTypes = ComponentTypes,
            }, CancellationToken.None);
        return new CliResult(code, stdout.ToArray(), stderr.ToString());
    }

    /// <summary>Runs and asserts the exit code, showing the output if it differs.</summary>
    public async Task<CliResult> RunAsync(int expectedExit, params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == expectedExit, $"cairn {string.Join(' ', args)}: expected exit {expectedExit}, got {result}");
        return result;
    }

    public async Task InitAsync() => await RunAsync(0, "init");

    /// <summary>Asserts the run failed the way expected errors must: one "cairn: …" line containing <paramref name="expected"/>, no stack trace.</summary>
    public static void AssertOneLine(CliResult result, string expected)
    {
        var lines = result.Stderr.TrimEnd().Split('\n');
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {result}");
        Assert.StartsWith("cairn: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    /// <summary>A small tree: text files, an empty file, an empty dir, a subdirectory, a symlink, a hardlink, odd modes and ns mtimes.</summary>
    public string MakeTree(string name = "src")
    {
        var dir = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.Combine(dir, "sub", "deeper"));
        Directory.CreateDirectory(Path.Combine(dir, "empty-dir"));
        File.WriteAllText(Path.Combine(dir, "a.txt"), "hello\n");
        File.WriteAllText(Path.Combine(dir, "sub", "b.log"), "log line\n");
        File.WriteAllBytes(Path.Combine(dir, "sub", "deeper", "random.bin"), RandomBytes(200_000, 1));
        File.WriteAllBytes(Path.Combine(dir, "empty"), []);
        File.CreateSymbolicLink(Path.Combine(dir, "link"), "a.txt");
        Sh($"ln '{dir}/a.txt' '{dir}/sub/hard' && chmod 0754 '{dir}/sub/b.log' && chmod 4755 '{dir}/empty' " +
           $"&& touch -h -d @1577934245.123456789 '{dir}/a.txt' '{dir}/link' '{dir}/sub/deeper/random.bin' '{dir}/empty-dir'");
        return dir;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sh(string command)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} failed: {error}");
        return output;
    }

    public int CountRepoFiles(string folder) =>
        Directory.Exists(Path.Combine(Repo, folder)) ? Directory.GetFiles(Path.Combine(Repo, folder), "*", SearchOption.AllDirectories).Length : 0;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
