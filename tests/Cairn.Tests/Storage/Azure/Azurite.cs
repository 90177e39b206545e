using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Cairn.Storage;
using Cairn.Storage.Azure;

namespace Cairn.Tests.Storage.Azure;

/// <summary>
/// The Azurite blob service that tests/servers/azurite.sh starts for test.sh, read from the CAIRN_TEST_AZURE_*
/// variables it exports. Tests fail (never skip) when those are missing.
/// </summary>
internal static class Azurite
{
    public static string ConnectionString => Required("CAIRN_TEST_AZURE_CONNECTION_STRING");

    public static string Endpoint => Required("CAIRN_TEST_AZURE_ENDPOINT");

    public static string AccountName => Required("CAIRN_TEST_AZURE_ACCOUNT_NAME");

    public static string AccountKey => Required("CAIRN_TEST_AZURE_ACCOUNT_KEY");

    /// <summary>The azurite-blob launcher, for tests that run a private instance they can stop.</summary>
    public static string Launcher => Required("CAIRN_TEST_AZURITE");

    /// <summary>A container name no other test uses.</summary>
    public static string NewContainerName(string purpose) => $"{purpose}-{Guid.NewGuid():N}"[..Math.Min(63, purpose.Length + 33)];

    /// <summary>A store on <paramref name="container"/>/<paramref name="prefix"/> of the shared Azurite.</summary>
    public static AzureBlobStore Store(string container, string prefix = "", TransferOptions? transfer = null, long? singleUploadLimit = null, long? blockSize = null)
    {
        var options = new AzureBlobStoreOptions
        {
            Location = new AzureLocation(container, prefix),
            Credentials = AzureCredentials.FromConnectionString(ConnectionString),
            Transfer = transfer ?? new TransferOptions { RequestTimeout = TimeSpan.FromSeconds(30) },
        };
        if (singleUploadLimit is { } limit) options = options with { SingleUploadLimit = limit };
        if (blockSize is { } size) options = options with { BlockSize = size };
        return new AzureBlobStore(options);
    }

    public static BlobServiceClient Service() => new(ConnectionString);

    public static async Task DeleteContainerAsync(string container) =>
        await Service().GetBlobContainerClient(container).DeleteIfExistsAsync();

    /// <summary>A loopback port nothing listens on (bound, read, released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
        : throw new InvalidOperationException($"{name} is not set: run ./test.sh (it starts the servers), or source tests/servers/azurite.sh");
}

/// <summary>
/// An Azurite of a test's own, on a free port with its own workspace, that the test may stop (kill) and start again
/// with the same data: for the server-stopped-mid-backup test, so the shared instance is never disturbed.
/// </summary>
internal sealed class PrivateAzurite : IAsyncDisposable
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string _workspace = Path.Combine(Path.GetTempPath(), "cairn-azurite-" + Guid.NewGuid().ToString("N")[..12]);
    private Process? _process;

    public int Port { get; } = Azurite.FreePort();

    public string Endpoint => $"http://127.0.0.1:{Port}/devstoreaccount1";

    public string ConnectionString => $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint={Endpoint};";

    public async Task StartAsync()
    {
        Directory.CreateDirectory(_workspace);
        var start = new ProcessStartInfo(Azurite.Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--location", _workspace, "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Node takes a while to start on a loaded machine (over 10 s has been seen here).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"the private Azurite exited with {(_process.HasExited ? _process.ExitCode : 0)} while starting");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Fail($"the private Azurite did not listen on port {Port} within 90 s");
    }

    /// <summary>Kills the server at once, as a crash or a network loss would look to a client.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_workspace, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
