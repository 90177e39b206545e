using System.Globalization;
using System.Text;

namespace Cairn.Components.Bucket;

/// <summary>
/// The objects of an S3 bucket or Azure container (under a prefix, filtered by include/exclude patterns) backed up as a
/// source: each object streamed from the service into the snapshot as a file at its key, plus a manifest of keys,
/// ETags, sizes, content types and metadata; restore writes them back into the bucket or another one.
/// </summary>
public sealed class BucketComponent : IComponent
{
    private const int MaxPrefixItems = 50;

    private readonly string _name;
    private readonly BucketOptions _options;
    private readonly Func<string, string?> _environment;

    /// <summary>Creates the component; credentials not in the options come from the process environment.</summary>
    public BucketComponent(string name, BucketOptions options) : this(name, options, Environment.GetEnvironmentVariable) { }

    /// <summary>Creates the component reading missing credentials from <paramref name="environment"/>.</summary>
    public BucketComponent(string name, BucketOptions options, Func<string, string?> environment)
    {
        _name = name;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _environment = environment;
    }

    /// <inheritdoc/>
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var filter = new KeyFilter(_options.Include, _options.Exclude);
        var store = ObjectStores.Open(_options.Url, _options, _environment);
        await using (store.ConfigureAwait(false))
        {
            var manifest = backup.Manifest;
            manifest.Tool = store.Tool;
            manifest.Format = $"objects as files at their keys under {ObjectPaths.ObjectsDirectory}/, manifest {ObjectPaths.ManifestFile} (JSON lines)";
            manifest.Details["url"] = store.Location;
            if (_options.Include.Count > 0) manifest.Details["include"] = string.Join(' ', _options.Include);
            if (_options.Exclude.Count > 0) manifest.Details["exclude"] = string.Join(' ', _options.Exclude);

            var listed = new List<ListedObject>();
            await foreach (var item in store.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if (filter.Matches(item.Key)) listed.Add(item);
            }

            listed.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            var paths = ObjectPaths.Assign(listed.Select(o => o.Key).ToList());
            backup.Info($"{_name}: {listed.Count} objects in {store.Location}");

            var records = new List<ObjectRecord>(listed.Count);
            foreach (var item in listed)
            {
                if (await StoreObjectAsync(backup, store, item.Key, paths[item.Key], cancellationToken).ConfigureAwait(false) is { } record)
                    records.Add(record);
            }

            var lines = new StringBuilder();
            foreach (var record in records) lines.Append(record.ToJsonLine()).Append('\n');
            using var manifestStream = new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString()), writable: false);
            await backup.AddStreamAsync(ObjectPaths.ManifestFile, manifestStream, cancellationToken).ConfigureAwait(false);

            var bytes = records.Sum(r => r.Size);
            manifest.Details["objects"] = records.Count.ToString(CultureInfo.InvariantCulture);
            manifest.Details["bytes"] = bytes.ToString(CultureInfo.InvariantCulture);
            var escaped = records.Count(r => r.Path.StartsWith(ObjectPaths.EscapedDirectory + "/", StringComparison.Ordinal));
            if (escaped > 0) manifest.Details["escaped_keys"] = escaped.ToString(CultureInfo.InvariantCulture);
            manifest.Items.AddRange(Items(store.Location, records, bytes));
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Honours <see cref="ComponentRestoreRequest.Key"/> (a prefix or glob over the keys) and
    /// <see cref="ComponentRestoreRequest.Target"/> (another s3:/azure: url, whose prefix replaces the original one).
    /// Objects are written over existing ones; objects that are in the bucket but not in the snapshot stay.
    /// </remarks>
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Database is not null || request.Schema is not null || request.Table is not null || request.NewName is not null)
            throw new CairnException("a bucket component restores objects: select them with --key PATTERN and a destination with --to URL " +
                                     "(--database, --schema, --table and --as do not apply)", ExitCode.Usage);
        var pattern = request.Key is { } key ? KeyPattern.Parse(key) : null;

        List<ObjectRecord> records;
        var manifestStream = source.Open(ObjectPaths.ManifestFile);
        await using (manifestStream.ConfigureAwait(false))
        {
            records = await ObjectRecord.ReadAllAsync(manifestStream, cancellationToken).ConfigureAwait(false);
        }

        var selected = records.Where(r => pattern is null || pattern.Matches(r.Key)).ToList();
        if (pattern is not null && selected.Count == 0)
            throw new CairnException($"no object key in the snapshot matches '{request.Key}' ({records.Count} objects stored)", ExitCode.NotFound);

        var url = request.Target ?? _options.Url;
        var store = ObjectStores.Open(url, _options, _environment);
        await using (store.ConfigureAwait(false))
        {
            await store.CreateIfMissingAsync(cancellationToken).ConfigureAwait(false);
            long bytes = 0;
            foreach (var record in selected)
            {
                var content = source.Open(record.Path);
                await using (content.ConfigureAwait(false))
                {
                    var counted = new CountingReadStream(content);
                    await store.PutAsync(record.Key, record.Size, record.Properties, counted, cancellationToken).ConfigureAwait(false);
                    if (counted.BytesRead != record.Size)
                        throw new IntegrityException($"object '{record.Key}' ({record.Path})", $"the snapshot holds {counted.BytesRead} bytes, the manifest says {record.Size}");
                }

                bytes += record.Size;
            }

            source.Info($"{_name}: restored {selected.Count} objects ({bytes} bytes) to {store.Location}");
        }
    }

    // Reads one object into the snapshot; null when it was deleted after the listing (not an error: it is gone).
    private async Task<ObjectRecord?> StoreObjectAsync(IComponentBackup backup, IObjectStore store, string key, string path, CancellationToken cancellationToken)
    {
        using var download = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (download is null)
        {
            backup.Info($"{_name}: '{key}' was deleted while the bucket was read; it is not in the snapshot");
            return null;
        }

        StoredStream stored;
        try
        {
            stored = await backup.AddStreamAsync(path, download.Content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException || e.GetType().Namespace?.StartsWith("Amazon", StringComparison.Ordinal) == true
                                  || e.GetType().Namespace?.StartsWith("Azure", StringComparison.Ordinal) == true)
        {
            throw new ComponentFailedException($"{store.Location}: reading '{key}' failed: {e.Message}", e);
        }

        // A connection that closes early can look like a normal end of the body; the announced length cannot.
        if (stored.Size != download.Length)
            throw new ComponentFailedException($"{store.Location}: '{key}' was truncated: {stored.Size} of {download.Length} bytes arrived");
        return new ObjectRecord
        {
            Key = key,
            Path = path,
            Size = stored.Size,
            ETag = download.ETag,
            LastModified = download.LastModified,
            Properties = download.Properties,
        };
    }

    // "N objects, B bytes in URL", then the first-level prefixes with their counts, for `cairn ls`.
    private static IEnumerable<string> Items(string location, List<ObjectRecord> records, long bytes)
    {
        yield return $"{records.Count} objects, {bytes} bytes in {location}";
        var prefixes = records.GroupBy(r => r.Key.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 ? r.Key[..(slash + 1)] : "")
            .Where(g => g.Key.Length > 0).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        foreach (var group in prefixes.Take(MaxPrefixItems)) yield return $"{group.Key} ({group.Count()} objects)";
        if (prefixes.Count > MaxPrefixItems) yield return $"… and {prefixes.Count - MaxPrefixItems} more prefixes";
    }
}
