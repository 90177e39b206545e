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

    public PrivateRcloneServer()
    {
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
        foreach (var argument in (string[])["serve", "restic", "--config", "/dev/null", "--addr", $"127.0.0.1:{Port}", Root]) start.ArgumentList.Add(argument);
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
