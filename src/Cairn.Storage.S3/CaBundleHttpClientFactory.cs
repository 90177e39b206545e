using System.Net.Http;
using System.Net.Security;
using Amazon.Runtime;

namespace Cairn.Storage.S3;

/// <summary>
/// HTTP clients that also trust the certificate authorities of a PEM bundle (AWS_CA_BUNDLE, as the AWS CLI reads it):
/// for S3-compatible services behind a private CA or a self-signed certificate, without touching the system store.
/// </summary>
internal sealed class CaBundleHttpClientFactory : HttpClientFactory
{
    private readonly PemTrust _trust;

    private CaBundleHttpClientFactory(PemTrust trust) => _trust = trust;

    /// <summary>Reads the bundle at <paramref name="path"/>; a missing or unreadable one is a usage error.</summary>
    public static CaBundleHttpClientFactory Load(string path) => new(PemTrust.Load(path, "AWS_CA_BUNDLE"));

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clientConfig.MaxConnectionsPerServer ?? int.MaxValue,
            ConnectTimeout = clientConfig.ConnectTimeout ?? Timeout.InfiniteTimeSpan,
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = _trust.Validate },
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100) };
    }

    // The SDK's shared cache is keyed by settings that do not include this bundle: each client keeps its own.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}
