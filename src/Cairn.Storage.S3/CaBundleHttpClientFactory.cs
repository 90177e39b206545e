using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Amazon.Runtime;

namespace Cairn.Storage.S3;

/// <summary>
/// HTTP clients that also trust the certificate authorities of a PEM bundle (AWS_CA_BUNDLE, as the AWS CLI reads it):
/// for S3-compatible services behind a private CA or a self-signed certificate, without touching the system store.
/// </summary>
internal sealed class CaBundleHttpClientFactory : HttpClientFactory
{
    private readonly X509Certificate2Collection _roots;

    private CaBundleHttpClientFactory(X509Certificate2Collection roots) => _roots = roots;

    /// <summary>Reads the bundle at <paramref name="path"/>; a missing or unreadable one is a usage error.</summary>
    public static CaBundleHttpClientFactory Load(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CairnException($"AWS_CA_BUNDLE: cannot read the certificates in {path}: {e.Message}", ExitCode.Usage, e);
        }

        return roots.Count > 0 ? new CaBundleHttpClientFactory(roots) : throw new CairnException($"AWS_CA_BUNDLE: {path} holds no PEM certificate", ExitCode.Usage);
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        ArgumentNullException.ThrowIfNull(clientConfig);
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clientConfig.MaxConnectionsPerServer ?? int.MaxValue,
            ConnectTimeout = clientConfig.ConnectTimeout ?? Timeout.InfiniteTimeSpan,
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100) };
    }

    // The SDK's shared cache is keyed by settings that do not include this bundle: each client keeps its own.
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        // The host name must still match; only the chain may end at one of the bundle's roots instead of the system's.
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }
}
