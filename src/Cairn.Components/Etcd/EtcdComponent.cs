using System.Globalization;
using System.Text;

namespace Cairn.Components.Etcd;

/// <summary>
/// An etcd v3 cluster (also a Kubernetes control plane's): a v3 snapshot streamed from one member, plus a logical
/// export of every key. Restore makes a new data directory from the snapshot (<c>--to DIR</c>) or puts keys back into
/// a live cluster (no <c>--to</c>, or <c>--to URL</c>; <c>--key PREFIX</c> limits them).
/// </summary>
public sealed class EtcdComponent : IComponent
{
    /// <summary>The snapshot's file in the component's directory.</summary>
    public const string SnapshotFile = "snapshot.db";

    /// <summary>The key export's file in the component's directory.</summary>
    public const string KeysFile = "keys.jsonl";

    private readonly string _name;
    private readonly EtcdOptions _options;

    /// <summary>Creates the component from its configured options.</summary>
    public EtcdComponent(string name, EtcdOptions options)
    {
        _name = name;
        _options = options;
    }

    /// <inheritdoc/>
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        using var gateway = await EtcdGateway.ConnectAsync(_options, _options.Endpoints, cancellationToken).ConfigureAwait(false);
        var manifest = backup.Manifest;
        manifest.ServerVersion = $"etcd {gateway.ServerVersion}";
        manifest.Tool = "etcd v3 API over its HTTP gateway (Maintenance.Snapshot, KV.Range)";
        manifest.Format = $"etcd v3 snapshot ({SnapshotFile}, as etcdctl snapshot save writes it) + {EtcdKeyExport.FormatName} JSON lines ({KeysFile})";
        manifest.Details["endpoint"] = gateway.Endpoint.ToString();
        backup.Info($"{_name}: etcd {gateway.ServerVersion} at {gateway.Endpoint}");

        using (var response = await gateway.StreamAsync("v3/maintenance/snapshot", [], cancellationToken).ConfigureAwait(false))
        using (var lines = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false)))
        {
            var snapshot = new EtcdSnapshotReader(lines, gateway.Endpoint.ToString());
            await using var stream = snapshot.AsStream();
            var stored = await backup.AddStreamAsync(SnapshotFile, stream, cancellationToken).ConfigureAwait(false);
            manifest.Details["snapshot_bytes"] = stored.Size.ToString(CultureInfo.InvariantCulture);
            backup.Info($"{_name}: snapshot of {stored.Size} bytes");
        }

        var export = new EtcdKeyExport(gateway);
        await using (var stream = export.AsStream())
        {
            await backup.AddStreamAsync(KeysFile, stream, cancellationToken).ConfigureAwait(false);
        }
        manifest.Details["keys"] = export.Keys.ToString(CultureInfo.InvariantCulture);
        manifest.Details["keys_revision"] = export.Revision.ToString(CultureInfo.InvariantCulture);
        foreach (var (group, count) in export.Groups) manifest.Items.Add($"{group} ({count} keys)");
        backup.Info($"{_name}: {export.Keys} keys at revision {export.Revision}");
    }

    /// <inheritdoc/>
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Database is not null || request.Schema is not null || request.Table is not null)
            throw new CairnException("etcd: --database, --schema and --table do not apply; use --key PREFIX to restore some keys", ExitCode.Usage);

        if (request.Target is { } target && !target.Contains("://", StringComparison.Ordinal))
        {
            if (request.Key is not null)
                throw new CairnException("etcd: a snapshot restores whole; --key works with a restore into a live cluster (without --to, or --to URL)", ExitCode.Usage);
            await using var snapshot = source.Open(SnapshotFile);
            await EtcdSnapshotRestore.RunAsync(snapshot, target, request.NewName, cancellationToken).ConfigureAwait(false);
            source.Info($"{_name}: restored the snapshot into the new data directory {Path.GetFullPath(target)}; start one etcd member on it " +
                $"(--data-dir, --name {request.NewName ?? "default"}), then add other members with 'etcdctl member add'");
            return;
        }

        if (request.NewName is not null)
            throw new CairnException("etcd: --as names the member of a restored data directory (with --to DIR)", ExitCode.Usage);
        IReadOnlyList<string> endpoints = request.Target is { } url ? [url] : _options.Endpoints;
        using var gateway = await EtcdGateway.ConnectAsync(_options, endpoints, cancellationToken).ConfigureAwait(false);
        await using var keys = source.Open(KeysFile);
        var prefix = request.Key is null ? null : Encoding.UTF8.GetBytes(request.Key);
        var result = await EtcdKeyImport.ImportAsync(gateway, keys, prefix, cancellationToken).ConfigureAwait(false);
        source.Info($"{_name}: put {result.Keys} keys{(request.Key is null ? "" : $" under '{request.Key}'")} into etcd at {gateway.Endpoint}" +
            (result.LeasedKeys > 0 ? $" ({result.LeasedKeys} of them on {result.Leases} new leases)" : ""));
    }
}
