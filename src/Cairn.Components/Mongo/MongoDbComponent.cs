using System.Globalization;
using Cairn.Components.Tools;
using MongoDB.Driver;

namespace Cairn.Components.Mongo;

/// <summary>
/// MongoDB databases, each dumped with <c>mongodump --archive</c> straight into the snapshot as one stream
/// (<c>DB.archive</c>), and restored with <c>mongorestore --archive</c> from the stored stream, whole or one collection,
/// under the original or a new name. Credentials reach both tools only through a 0600 --config file.
/// </summary>
public sealed class MongoDbComponent(string name, MongoDbOptions options) : IComponent
{
    private const string ArchiveSuffix = ".archive";

    /// <inheritdoc/>
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backup);
        foreach (var database in options.Databases) CheckDatabaseName(database);
        var connection = MongoConnection.FromOptions(options);
        var manifest = backup.Manifest;
        var version = (await ToolRunner.RunCapturingAsync(MongoCommands.Version("mongodump"), cancellationToken).ConfigureAwait(false))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "mongodump";
        manifest.Tool = version;
        manifest.Format = "mongodump --archive, uncompressed, one collection at a time; one archive per database (DB" + ArchiveSuffix + ")";

        IReadOnlyList<string> databases = options.Databases;
        try
        {
            var (serverVersion, described) = await MongoServer.DescribeAsync(connection, options.Databases, cancellationToken).ConfigureAwait(false);
            manifest.ServerVersion = serverVersion;
            databases = [.. described.Keys];
            foreach (var (database, collections) in described)
            {
                if (collections.Count == 0) manifest.Items.Add(database);
                manifest.Items.AddRange(collections.Select(c => database + "." + c));
            }
        }
        catch (Exception e) when (e is MongoException or TimeoutException)
        {
            // With the databases named, mongodump can still work (or fail with its own words); without, there is no list.
            if (options.Databases.Count == 0)
                throw new ComponentFailedException($"{name}: cannot list the databases at {connection}: {e.Message}", e);
            backup.Info($"{name}: the server's version is unknown ({e.Message}); dumping the configured databases");
            manifest.Items.AddRange(options.Databases);
        }

        if (databases.Count == 0) backup.Warn("", $"{name}: the server at {connection} has no database to back up");
        using var config = SecretFile.Create(connection.ConfigYaml(), ".yaml");
        long bytes = 0;
        foreach (var database in databases)
        {
            CheckDatabaseName(database);
            var dump = MongoCommands.Dump(config.Path, database, options.DumpOptions);
            await ToolRunner.RunReadingAsync(dump, async (stdout, ct) =>
            {
                var stored = await backup.AddStreamAsync(MongoCommands.ArchiveFile(database), stdout, ct).ConfigureAwait(false);
                bytes += stored.Size;
            }, cancellationToken).ConfigureAwait(false);
            backup.Info($"{name}: dumped {database}");
        }

        manifest.Details["databases"] = string.Join(',', databases);
        manifest.Details["bytes"] = bytes.ToString(CultureInfo.InvariantCulture);
        if (options.DumpOptions.Count > 0) manifest.Details["dump_options"] = string.Join(' ', options.DumpOptions);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Honours <see cref="ComponentRestoreRequest.Database"/>, <see cref="ComponentRestoreRequest.Table"/> (a
    /// collection), <see cref="ComponentRestoreRequest.NewName"/> (a database, or with a table a collection or
    /// "db.collection") and <see cref="ComponentRestoreRequest.Target"/> (a mongodb:// URI or host:port).
    /// </remarks>
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Schema is not null || request.Key is not null)
            throw new CairnException("a mongodb component restores databases and collections: --schema and --key do not apply", ExitCode.Usage);
        if (request.Database is null && (request.Table is not null || request.NewName is not null))
            throw new CairnException("--table and --as need --database (the database the collection or the new name belongs to)", ExitCode.Usage);

        var stored = source.Files.Where(f => f.Path.EndsWith(ArchiveSuffix, StringComparison.Ordinal) && !f.Path.Contains('/', StringComparison.Ordinal))
            .Select(f => f.Path[..^ArchiveSuffix.Length]).ToList();
        var databases = request.Database is { } only ? [only] : stored;
        if (request.Database is { } wanted && !stored.Contains(wanted, StringComparer.Ordinal))
            throw new CairnException($"database '{wanted}' is not in this snapshot's {name} (it has: {string.Join(", ", stored)})", ExitCode.NotFound);
        if (request is { Database: { } db, Table: { } collection } && source.Recorded.Items is { } items
            && items.Any(i => i.StartsWith(db + ".", StringComparison.Ordinal)) && !items.Contains(db + "." + collection, StringComparer.Ordinal))
            throw new CairnException($"collection '{collection}' is not in database '{db}' of this snapshot", ExitCode.NotFound);

        var connection = MongoConnection.FromOptions(options);
        if (request.Target is { } target) connection = connection.Retarget(target);
        using var config = SecretFile.Create(connection.ConfigYaml(), ".yaml");
        foreach (var database in databases)
        {
            var command = MongoCommands.Restore(config.Path, MongoNamespaces.Arguments(database, request.Table, request.NewName), options.Drop, options.RestoreOptions);
            await ToolRunner.RunWritingAsync(command, async (stdin, ct) =>
            {
                var archive = source.Open(MongoCommands.ArchiveFile(database));
                await using (archive.ConfigureAwait(false))
                {
                    await archive.CopyToAsync(stdin, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
            source.Info($"{name}: restored {database}{(request.Table is { } t ? "." + t : "")}{(request.NewName is { } n ? " as " + n : "")} to {connection}");
        }
    }

    // Database names become file names; MongoDB itself forbids these characters in them.
    private static void CheckDatabaseName(string database)
    {
        if (database.Length == 0 || database.IndexOfAny(['/', '\\', '.', ' ', '"', '$', '\0']) >= 0)
            throw new CairnException($"mongodb: '{database}' is not a database name (no / \\ . space \" $ allowed)", ExitCode.Usage);
    }
}
