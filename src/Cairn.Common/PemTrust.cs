using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Cairn;

/// <summary>
/// Trusting the certificate authorities of a PEM file for one client (S3's AWS_CA_BUNDLE, the http components'
/// ca_file) instead of, or besides, the system store: for services behind a private CA or a self-signed certificate.
/// </summary>
public sealed class PemTrust
{
    private readonly X509Certificate2Collection _roots;

    private PemTrust(X509Certificate2Collection roots) => _roots = roots;

    /// <summary>Reads the certificates at <paramref name="path"/>; a missing, unreadable or empty file is a usage error naming <paramref name="setting"/>.</summary>
    public static PemTrust Load(string path, string setting)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CairnException($"{setting}: cannot read the certificates in {path}: {e.Message}", ExitCode.Usage, e);
        }

        return roots.Count > 0 ? new PemTrust(roots) : throw new CairnException($"{setting}: {path} holds no PEM certificate", ExitCode.Usage);
    }

    /// <summary>
    /// A TLS validation callback: a certificate the system trusts passes; otherwise the host name must still match and
    /// only the chain may end at one of the file's roots instead of the system's.
    /// </summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
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
