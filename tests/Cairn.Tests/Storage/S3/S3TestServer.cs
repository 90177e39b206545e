using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Cairn.Storage;
using Cairn.Storage.S3;
using S3Location = Cairn.Storage.S3.S3Location;

namespace Cairn.Tests.Storage.S3;

/// <summary>
/// The s3rver that tests/servers/s3rver.sh starts for the run (CAIRN_TEST_S3_* variables), plus an admin client to make
/// and remove buckets and to read back what the server recorded.
/// </summary>
internal static class S3TestServer
{
    public static string Endpoint => Required("CAIRN_TEST_S3_ENDPOINT");

    public static string AccessKey => Required("CAIRN_TEST_S3_ACCESS_KEY");

    public static string SecretKey => Required("CAIRN_TEST_S3_SECRET_KEY");

    /// <summary>The s3rver launcher, for tests that run a private instance they may stop.</summary>
    public static string Launcher => Required("CAIRN_TEST_S3RVER");

    /// <summary>A bucket name no other test uses.</summary>
    public static string NewBucketName(string purpose)
    {
        var name = $"cairn-{purpose}-{Guid.NewGuid():N}";
        Assert.True(name.Length <= 63, $"bucket name '{name}' is longer than S3 allows");
        return name;
    }

    /// <summary>A client that talks to <paramref name="endpoint"/> (default: the shared server) as the test account.</summary>
    public static AmazonS3Client AdminClient(string? endpoint = null) =>
        new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
        {
            ServiceURL = endpoint ?? Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>Options for a store on <paramref name="bucket"/> of the shared server.</summary>
    public static S3StoreOptions StoreOptions(string bucket, string prefix = "", TransferOptions? transfer = null, string? endpoint = null) => new()
    {
        Location = S3Location.Parse($"s3:{endpoint ?? Endpoint}/{bucket}" + (prefix.Length > 0 ? "/" + prefix : "")),
        Identity = S3Identity.FromKeys(AccessKey, SecretKey),
        Transfer = transfer ?? new TransferOptions { RequestTimeout = TimeSpan.FromSeconds(30) },
    };

    public static async Task CreateBucketAsync(string bucket, string? endpoint = null)
    {
        using var client = AdminClient(endpoint);
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
    }

    /// <summary>Removes the bucket and everything in it; a bucket that is already gone is fine.</summary>
    public static async Task DeleteBucketAsync(string bucket, string? endpoint = null)
    {
        using var client = AdminClient(endpoint);
        try
        {
            var request = new ListObjectsV2Request { BucketName = bucket };
            while (true)
            {
                var page = await client.ListObjectsV2Async(request);
                foreach (var item in page.S3Objects ?? []) await client.DeleteObjectAsync(bucket, item.Key);
                if (page.IsTruncated != true) break;
                request.ContinuationToken = page.NextContinuationToken;
            }

            await client.DeleteBucketAsync(bucket);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchBucket")
        {
        }
    }

    /// <summary>Every key in <paramref name="bucket"/>, with the storage class HEAD reports for it (null when none).</summary>
    public static async Task<Dictionary<string, string?>> HeadClassesAsync(string bucket)
    {
        using var client = AdminClient();
        var classes = new Dictionary<string, string?>();
        var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.True(page.IsTruncated != true, "more keys than one listing page: the test wrote more than it should");
        foreach (var item in page.S3Objects ?? [])
        {
            var head = await client.GetObjectMetadataAsync(bucket, item.Key);
            classes[item.Key] = head.StorageClass?.Value;
        }

        return classes;
    }

    /// <summary>A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run ./test.sh (it starts the servers), or source tests/servers/s3rver.sh");
}

/// <summary>
/// An s3rver of a test's own, on a free port with its own data directory, which the test may stop and start again
/// (the shared server must keep running for every other test).
/// </summary>
internal sealed class PrivateS3rver : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "cairn-s3rver-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly bool _tls;
    private Process? _process;

    /// <param name="tls">Serve HTTPS with a fresh self-signed certificate for 127.0.0.1 (<see cref="CertificatePath"/>).</param>
    public PrivateS3rver(bool tls = false)
    {
        Port = S3TestServer.FreePort();
        Directory.CreateDirectory(Path.Combine(_directory, "data"));
        _tls = tls;
        if (tls) WriteSelfSignedCertificate();
    }

    public int Port { get; }

    public string Endpoint => $"{(_tls ? "https" : "http")}://127.0.0.1:{Port}";

    /// <summary>The server's certificate in PEM, to trust through AWS_CA_BUNDLE.</summary>
    public string CertificatePath => Path.Combine(_directory, "cert.pem");

    private string KeyPath => Path.Combine(_directory, "key.pem");

    private void WriteSelfSignedCertificate()
    {
        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=cairn-test-s3rver", key,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
    }

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(S3TestServer.Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--address", "127.0.0.1", "--port", Port.ToString(), "--directory", Path.Combine(_directory, "data"), "--silent" })
            start.ArgumentList.Add(argument);
        if (_tls)
        {
            foreach (var argument in new[] { "--key", KeyPath, "--cert", CertificatePath }) start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"the private s3rver exited at start with code {(_process.HasExited ? _process.ExitCode : 0)}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        Assert.Fail($"the private s3rver did not answer on port {Port} within 20 s");
    }

    /// <summary>Kills the server (as a crash or an outage would) and waits until it is gone.</summary>
    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
