using Cairn.Components.Tools;

namespace Cairn.Components.Postgres;

/// <summary>
/// PostgreSQL databases: one <c>pg_dump --format=custom --compress=0</c> stream per database (custom, so restore can
/// pick one schema or table; uncompressed, so the repository's chunker deduplicates unchanged data between backups),
/// plus the roles and tablespaces from <c>pg_dumpall --globals-only</c>. Restore is <see cref="PostgresRestorer"/>.
/// </summary>
public sealed class PostgresComponent(string name, PostgresOptions options) : IComponent
{
    /// <inheritdoc />
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        var tools = PostgresTools.For(options);
        var manifest = backup.Manifest;
        manifest.Tool = (await ToolRunner.RunCapturingAsync(tools.Version("pg_dump"), cancellationToken).ConfigureAwait(false)).Trim();
        manifest.ServerVersion = await PostgresCatalog.ServerVersionAsync(tools, options.MaintenanceDatabase, cancellationToken).ConfigureAwait(false);
        manifest.Format = "pg_dump custom, uncompressed, one per database" + (options.Globals ? "; globals: pg_dumpall --globals-only (SQL)" : "");
        if (options.DumpArguments.Count > 0) manifest.Details["pg_dump_arguments"] = string.Join(' ', options.DumpArguments);

        var databases = await SelectDatabasesAsync(tools, cancellationToken).ConfigureAwait(false);
        if (options.Globals)
        {
            var globals = await DumpIntoAsync(backup, tools.DumpGlobals(), PostgresLayout.GlobalsFile, cancellationToken).ConfigureAwait(false);
            manifest.Details[PostgresLayout.GlobalsFile] = "globals";
            backup.Info($"{name}: roles and tablespaces: {globals.Size} bytes");
        }
        foreach (var database in databases)
        {
            // From the catalog just before the dump: what ls shows and restore can pick (a table made in between is
            // in the dump but not listed).
            var contents = await PostgresCatalog.SchemasAndTablesAsync(tools, database, cancellationToken).ConfigureAwait(false);
            var file = PostgresLayout.DumpFile(database);
            var stored = await DumpIntoAsync(backup, tools.Dump(database), file, cancellationToken).ConfigureAwait(false);
            manifest.Details[file] = database;
            manifest.Items.Add(database);
            manifest.Items.AddRange(contents.Select(c => database + "." + c));
            backup.Info($"{name}: database {database}: {stored.Size} bytes");
        }
    }

    /// <inheritdoc />
    public Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken) =>
        new PostgresRestorer(options).RestoreAsync(source, request, cancellationToken);

    private async Task<IReadOnlyList<string>> SelectDatabasesAsync(PostgresTools tools, CancellationToken ct)
    {
        var all = options.Databases.Count > 0
            ? options.Databases
            : await PostgresCatalog.DatabasesAsync(tools, options.MaintenanceDatabase, ct).ConfigureAwait(false);
        var chosen = all.Where(d => !options.ExcludeDatabases.Contains(d)).Distinct(StringComparer.Ordinal).ToList();
        // An empty selection would make an empty "good" backup; it is a config mistake (or an empty server) to report.
        if (chosen.Count == 0)
            throw new ComponentFailedException($"{name}: no database to back up on {tools.Endpoint} (databases: [{string.Join(", ", all)}], all excluded)");
        return chosen;
    }

    private static async Task<StoredStream> DumpIntoAsync(IComponentBackup backup, ToolCommand command, string file, CancellationToken ct)
    {
        StoredStream? stored = null;
        await ToolRunner.RunReadingAsync(command, async (stdout, token) =>
            stored = await backup.AddStreamAsync(file, stdout, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        return stored!;
    }
}
