namespace Cairn.Components.Prometheus;

/// <summary>
/// A Prometheus server: a TSDB snapshot taken through the admin API and read from the server's data directory (so
/// cairn runs on the Prometheus host), deleted there afterwards whatever happened, plus its config and rule files.
/// Restore writes the blocks as a data directory Prometheus starts from.
/// </summary>
public sealed class PrometheusComponent : IComponent
{
    private readonly string _name;
    private readonly PrometheusOptions _options;

    /// <summary>Creates the component from its configured options.</summary>
    public PrometheusComponent(string name, PrometheusOptions options)
    {
        _name = name;
        _options = options;
    }

    /// <inheritdoc/>
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        using var api = new PrometheusApi(_options.Url, _options.User, _options.Password);
        var manifest = backup.Manifest;
        var build = await api.CallAsync(HttpMethod.Get, "api/v1/status/buildinfo", cancellationToken).ConfigureAwait(false);
        manifest.ServerVersion = $"Prometheus {build["version"]?.GetValue<string>() ?? "unknown"}";
        manifest.Tool = "Prometheus admin API (POST /api/v1/admin/tsdb/snapshot)";
        manifest.Format = $"Prometheus TSDB blocks ({PrometheusBlocks.Folder}/<ULID>/...) and config files by absolute path";

        var dataDir = Path.GetFullPath(_options.DataDir);
        if (!Directory.Exists(dataDir))
            throw new ComponentFailedException($"prometheus: data_dir {dataDir} does not exist here; cairn must run on the Prometheus host, with data_dir set to its --storage.tsdb.path");
        var path = $"api/v1/admin/tsdb/snapshot?skip_head={(_options.SkipHead ? "true" : "false")}";
        var answer = await api.CallAsync(HttpMethod.Post, path, cancellationToken).ConfigureAwait(false);
        var name = answer["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
            throw new ComponentFailedException($"Prometheus at {api.BaseUri}: the snapshot API answered an unusable name '{name}'");
        var snapshotDir = Path.Combine(dataDir, "snapshots", name);
        manifest.Details["snapshot"] = name;
        manifest.Details["data_dir"] = dataDir;
        try
        {
            await StoreSnapshotAsync(backup, snapshotDir, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Prometheus has no API to delete a snapshot; left behind, every backup would keep a full copy on its disk.
            try
            {
                if (Directory.Exists(snapshotDir)) Directory.Delete(snapshotDir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                backup.Warn(snapshotDir, $"the snapshot could not be deleted from the Prometheus host ({e.Message}); delete it by hand");
            }
        }

        if (_options.ConfigFiles.Count > 0)
            await backup.AddPathsAsync(_options.ConfigFiles, [], cancellationToken).ConfigureAwait(false);
    }

    private async Task StoreSnapshotAsync(IComponentBackup backup, string snapshotDir, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(snapshotDir))
            throw new ComponentFailedException($"prometheus: the snapshot is not at {snapshotDir}; is data_dir the server's --storage.tsdb.path, and does cairn run on its host?");
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(snapshotDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(snapshotDir, file).Replace(Path.DirectorySeparatorChar, '/');
            await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var stored = await backup.AddStreamAsync($"{PrometheusBlocks.Folder}/{relative}", input, cancellationToken).ConfigureAwait(false);
            bytes += stored.Size;
        }
        foreach (var block in Directory.EnumerateDirectories(snapshotDir).Order(StringComparer.Ordinal))
            backup.Manifest.Items.Add(PrometheusBlocks.Describe(block));
        backup.Info($"{_name}: snapshot {Path.GetFileName(snapshotDir)} with {backup.Manifest.Items.Count} blocks, {bytes} bytes");
    }

    /// <inheritdoc/>
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Database is not null || request.Schema is not null || request.Table is not null || request.Key is not null || request.NewName is not null)
            throw new CairnException("prometheus: restore takes only --to DIR (a new data directory); the snapshot restores whole", ExitCode.Usage);
        var hasConfig = source.Files.Any(f => !f.Path.StartsWith(PrometheusBlocks.Folder + "/", StringComparison.Ordinal));

        if (request.Target is { } target)
        {
            var dataDir = Path.GetFullPath(target);
            if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any())
                throw new CairnException($"prometheus: {dataDir} is not empty; restore into a new data directory", ExitCode.Usage);
            var (written, _) = await PrometheusBlocks.WriteAsync(source, dataDir, cancellationToken).ConfigureAwait(false);
            // Under the data directory, where TSDB ignores them (only ULID-named folders are blocks).
            if (hasConfig) await source.RestorePathsAsync(Path.Combine(dataDir, "config"), [], cancellationToken).ConfigureAwait(false);
            source.Info($"{_name}: wrote {written} blocks to {dataDir}{(hasConfig ? $", config files under {Path.Combine(dataDir, "config")}" : "")}; " +
                $"start Prometheus with --storage.tsdb.path {dataDir}");
            return;
        }

        using var api = new PrometheusApi(_options.Url, _options.User, _options.Password);
        if (await api.IsUpAsync(cancellationToken).ConfigureAwait(false))
            throw new CairnException($"prometheus: the server at {api.BaseUri} is running; stop it before restoring into {_options.DataDir}, or restore with --to DIR", ExitCode.Usage);
        var (added, kept) = await PrometheusBlocks.WriteAsync(source, Path.GetFullPath(_options.DataDir), cancellationToken).ConfigureAwait(false);
        if (hasConfig) await source.RestorePathsAsync(null, [], cancellationToken).ConfigureAwait(false);
        source.Info($"{_name}: wrote {added} blocks to {_options.DataDir} ({kept} were there already){(hasConfig ? ", config files to their paths" : "")}");
    }
}
