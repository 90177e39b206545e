using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Cairn.Storage.Rest;

namespace Cairn.Tests.Storage.Rest;

/// <summary>The rclone serve restic server and rclone config that tests/servers/rclone.sh starts and writes.</summary>
internal static class RestTestServers
{
    public static string Url => Required("CAIRN_TEST_REST_URL");

    public static RestCredentials Credentials => new(Required("CAIRN_TEST_REST_USERNAME"), Required("CAIRN_TEST_REST_PASSWORD"));

    /// <summary>The directory the REST server serves; repository "NAME" is the folder NAME in it.</summary>
    public static string RestRoot => Required("CAIRN_TEST_REST_ROOT");

    public static string RcloneConfig => Required("CAIRN_TEST_RCLONE_CONFIG");

    public static string RcloneRemote => Required("CAIRN_TEST_RCLONE_REMOTE");

    /// <summary>The directory the rclone: tests keep their repositories in (through the local-type remote).</summary>
    public static string RcloneRoot => Required("CAIRN_TEST_RCLONE_ROOT");

    /// <summary>A fresh repository name, so every test has its own folder.</summary>
    public static string NewName() => "t" + Guid.NewGuid().ToString("N")[..16];

    /// <summary>A port nothing listens on (bound and released at once).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>rclone processes whose parent is this test process and whose command line contains <paramref name="marker"/>
    /// (tests run in parallel, so each looks only for its own).</summary>
    public static List<int> RcloneChildren(string marker)
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat, commandLine;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue; // it exited while we looked
            }

            // "pid (comm) state ppid …": comm may hold spaces, so split after the closing parenthesis.
            var close = stat.LastIndexOf(')');
            var comm = stat[(stat.IndexOf('(') + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            if (comm == "rclone" && fields[1] == self && commandLine.Contains(marker, StringComparison.Ordinal)) children.Add(pid);
        }

        return children;
    }

    /// <summary>The session id of process <paramref name="pid"/> ("self" for this one), from /proc.</summary>
    public static string SessionOf(string pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3];
    }

    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run ./test.sh (it starts the servers), or source tests/servers/rclone.sh");
}

/// <summary>A private <c>rclone serve restic</c> on a loopback port, for tests that stop and restart their server.</summary>
internal sealed class PrivateRcloneServer : IDisposable
{
    private Process? _process;

    private readonly string[] _flags;

    /// <summary>Starts a server; <paramref name="flags"/> go to rclone serve restic (e.g. --append-only).</summary>
    public PrivateRcloneServer(params string[] flags)
    {
        _flags = flags;
        Root = Path.Combine(Path.GetTempPath(), "cairn-rclone-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Port = RestTestServers.ClosedPort();
        Start();
    }

    /// <summary>The directory served.</summary>
    public string Root { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Starts the server (again) on the same port and waits until it accepts connections.</summary>
    public void Start()
    {
        var start = new ProcessStartInfo("rclone") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])["serve", "restic", "--config", "/dev/null", "--addr", $"127.0.0.1:{Port}", .. _flags, Root]) start.ArgumentList.Add(argument);
        _process = Process.Start(start)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"rclone serve restic exited with {(_process.HasExited ? _process.ExitCode : 0)}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        Assert.Fail($"rclone serve restic did not listen on port {Port}");
    }

    /// <summary>Kills the server as a crash or power loss would (SIGKILL): uploads in flight are cut off.</summary>
    public void Kill()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        RestTestServers.DeleteDirectory(Root);
    }
}
