using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Cairn.Tests.Storage.Sftp;

/// <summary>
/// A second sshd with the shared server's keys and settings on its own free port, which a test may stop (every
/// connection dropped, as when a server goes down) and start again without disturbing tests using the shared one.
/// </summary>
internal sealed partial class PrivateSshd : IDisposable
{
    private readonly string _directory;
    private readonly string _config;
    private Process? _process;

    public PrivateSshd()
    {
        Port = FreePort();
        _directory = Path.Combine(Path.GetTempPath(), "cairn-sshd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        _config = Path.Combine(_directory, "sshd_config");
        var shared = File.ReadAllText(SftpTestServer.SshdConfig);
        shared = PortLine().Replace(shared, $"Port {Port}");
        shared = PidLine().Replace(shared, $"PidFile {Path.Combine(_directory, "sshd.pid")}");
        File.WriteAllText(_config, shared);
        KnownHostsFile = Path.Combine(_directory, "known_hosts");
        File.WriteAllText(KnownHostsFile, $"[{SftpTestServer.Host}]:{Port} {SftpTestServer.HostPublicKey}\n");
    }

    public int Port { get; }

    /// <summary>A known_hosts file (plain, unhashed) that names this instance's host key.</summary>
    public string KnownHostsFile { get; }

    /// <summary>Starts sshd in the foreground (so it is this process's child) and waits until it accepts connections.</summary>
    public void Start()
    {
        Assert.Null(_process);
        var start = new ProcessStartInfo("/usr/sbin/sshd") { RedirectStandardError = true };
        foreach (var argument in new[] { "-D", "-f", _config, "-E", Path.Combine(_directory, "sshd.log") }) start.ArgumentList.Add(argument);
        _process = Process.Start(start)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Kills every connection process but keeps listening: established sessions drop, new ones work.</summary>
    public void DropConnections()
    {
        Assert.NotNull(_process);
        Kill(Enumerable.Reverse(Descendants(_process.Id)));
    }

    /// <summary>Kills the listener and every connection process it forked, so clients see their connections drop.</summary>
    public void Stop()
    {
        if (_process is null) return;
        // Connection processes call setsid(), so they are found by parentage, deepest first, not by process group.
        Kill(Enumerable.Reverse(Descendants(_process.Id)).Append(_process.Id));
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    private static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    public void Dispose()
    {
        Stop();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A TCP port on loopback that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Breadth-first, so parents come before their children.
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(entry, "stat"));
                // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var parent))
        {
            foreach (var child in parents.Where(p => p.Value == parent).Select(p => p.Key))
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }

        return result;
    }

    [GeneratedRegex("^Port .*$", RegexOptions.Multiline)]
    private static partial Regex PortLine();

    [GeneratedRegex("^PidFile .*$", RegexOptions.Multiline)]
    private static partial Regex PidLine();
}
