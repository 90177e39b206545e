namespace Cairn.Components.Etcd;

/// <summary>Options of an <c>etcd</c> component: which cluster, which credentials, which TLS files.</summary>
public sealed record EtcdOptions : ComponentOptions
{
    /// <summary>Client URLs of the cluster's members, tried in order ("http://127.0.0.1:2379"; no scheme means https when TLS files are given).</summary>
    public List<string> Endpoints { get; init; } = ["http://127.0.0.1:2379"];

    /// <summary>User name when the cluster has authentication on (etcdctl's --user), or null.</summary>
    public string? User { get; init; }

    /// <summary>That user's password.</summary>
    [Secret]
    public string? Password { get; init; }

    /// <summary>CA certificate(s) the server's certificate must chain to (etcdctl's --cacert), PEM.</summary>
    public string? Cacert { get; init; }

    /// <summary>Client certificate for clusters with client-cert-auth (etcdctl's --cert), PEM.</summary>
    public string? Cert { get; init; }

    /// <summary>The client certificate's private key (etcdctl's --key), PEM.</summary>
    public string? Key { get; init; }
}
