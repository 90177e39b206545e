using System.Text;
using Cairn.Components.Tools;

namespace Cairn.Components.MySql;

/// <summary>
/// MySQL/MariaDB databases through mysqldump, stored as one stream per table (<see cref="MySqlDumpLayout"/>) so one
/// table can be restored alone; restored through the mysql client.
/// </summary>
/// <remarks>
/// Consistency: ONE mysqldump run dumps every selected database (<c>--databases a b c</c>) inside one transaction
/// (<c>--single-transaction</c>), and its output is split at mysqldump's own section comments as it arrives. So all
/// tables of all databases come from one InnoDB snapshot, and nothing is staged on disk. Running one mysqldump per
/// table would give per-table streams too, but each from its own moment: rows that refer to each other could disagree.
/// </remarks>
public sealed class MySqlComponent(string name, MySqlOptions options) : IComponent
{
    private static readonly string[] s_systemSchemas = ["mysql", "information_schema", "performance_schema", "sys"];

    /// <summary>The component's name in its job.</summary>
    public string Name { get; } = name;

    /// <summary>The mysqldump arguments (after the connection ones) that dump <paramref name="databases"/>.</summary>
    public static IReadOnlyList<string> DumpArguments(MySqlOptions options, IReadOnlyList<string> databases)
    {
        var args = new List<string>();
        if (options.SingleTransaction) args.Add("--single-transaction");
        // --skip-dump-date keeps the last line equal between runs; --hex-blob keeps binary columns as ASCII lines; the
        // section comments are the split points, so --compact/--skip-comments must never be added.
        args.AddRange(["--routines", "--events", "--triggers", "--hex-blob", "--skip-dump-date", "--default-character-set=utf8mb4", "--databases"]);
        args.AddRange(databases);
        return args;
    }

    /// <inheritdoc />
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        using var client = new MySqlClient(options.Host, options.Port, options.User, options.Password);
        backup.Manifest.Tool = await MySqlClient.ToolVersionAsync("mysqldump", cancellationToken).ConfigureAwait(false);
        // One query first: an unreachable server or a refused login fails here, with the client's own message.
        var version = await client.QueryAsync("SELECT VERSION()", cancellationToken).ConfigureAwait(false);
        backup.Manifest.ServerVersion = version.Count > 0 ? version[0][0] : null;
        backup.Manifest.Format = "mysqldump SQL" + (options.SingleTransaction ? " (--single-transaction)" : "") + ", one stream per table";

        var databases = options.Databases.Count > 0 ? options.Databases : await ListDatabasesAsync(client, cancellationToken).ConfigureAwait(false);
        if (databases.Count == 0)
        {
            backup.Warn("", "the server has no databases besides the system schemas: nothing to dump");
            return;
        }
        backup.Info($"dumping {string.Join(", ", databases)} from {options.Host}:{options.Port}");
        backup.Manifest.Details["databases"] = string.Join(",", databases);

        MySqlDumpSplitter? splitter = null;
        await ToolRunner.RunReadingAsync(client.Command("mysqldump", DumpArguments(options, databases)), async (stdout, ct) =>
        {
            splitter = new MySqlDumpSplitter(stdout);
            while (splitter.NextPart() is { } part) await backup.AddStreamAsync(part.Path, part.Content, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        // mysqldump exits non-zero on failures; a dump cut short some other way still lacks its last line.
        if (splitter is not { Completed: true })
            throw new ComponentFailedException("mysqldump's output ended before its '-- Dump completed' line: the dump is incomplete");
        backup.Manifest.Items.AddRange(splitter.Databases);
        backup.Manifest.Items.AddRange(splitter.Objects);
    }

    /// <inheritdoc />
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Schema is not null || request.Key is not null)
            throw new CairnException("a mysql component restores --database, --table, --to and --as; --schema and --key do not apply", ExitCode.Usage);
        if (request.Table is not null && request.Database is null)
            throw new CairnException("--table needs --database (the database the table is in)", ExitCode.Usage);

        var stored = StoredDatabases(source);
        var selected = request.Database is { } wanted
            ? stored.Contains(wanted) ? [wanted] : throw new CairnException($"database '{wanted}' is not in this backup; it holds: {string.Join(", ", stored)}", ExitCode.NotFound)
            : stored;
        if (request.NewName is not null && selected.Count != 1)
            throw new CairnException("--as renames one database: give --database too", ExitCode.Usage);

        var (host, port) = HostPort.Parse(request.Target, options.Host, options.Port);
        using var client = new MySqlClient(host, port, options.User, options.Password);
        foreach (var database in selected)
        {
            var target = request.NewName ?? database;
            var parts = PartsToRestore(source, database, request.Table);
            await client.QueryAsync(CreateDatabaseStatement(source, database, target), cancellationToken).ConfigureAwait(false);

            var command = client.Command("mysql", ["--batch", "--database=" + target]);
            await ToolRunner.RunWritingAsync(command, async (stdin, ct) =>
            {
                foreach (var path in new[] { MySqlDumpLayout.Header }.Concat(parts).Append(MySqlDumpLayout.Footer))
                {
                    if (!source.Files.Any(f => f.Path == path)) continue;
                    await using var part = source.Open(path);
                    await part.CopyToAsync(stdin, ct).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
            var what = request.Table is null ? $"database {database}" : $"{database}.{request.Table}";
            source.Info($"restored {what} into {MySqlClient.Quote(target)} on {host}:{port}");
        }
    }

    private static async Task<IReadOnlyList<string>> ListDatabasesAsync(MySqlClient client, CancellationToken ct)
    {
        var rows = await client.QueryAsync("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME", ct).ConfigureAwait(false);
        return rows.Select(r => r[0]).Where(d => !s_systemSchemas.Contains(d, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    private static List<string> StoredDatabases(IComponentRestore source) =>
        source.Files.Select(f => f.Path)
            .Where(p => p.StartsWith(MySqlDumpLayout.DatabasesDirectory, StringComparison.Ordinal))
            .Select(p => p[MySqlDumpLayout.DatabasesDirectory.Length..].Split('/')[0])
            .Distinct(StringComparer.Ordinal).Select(MySqlDumpLayout.Decode).ToList();

    // The database's parts in restore order, or the one table (or view) asked for.
    private static List<string> PartsToRestore(IComponentRestore source, string database, string? table)
    {
        var directory = MySqlDumpLayout.DatabaseDirectory(database);
        if (table is not null)
        {
            foreach (var candidate in new[] { MySqlDumpLayout.TablePath(database, table), MySqlDumpLayout.ViewPath(database, table) })
            {
                if (source.Files.Any(f => f.Path == candidate)) return [candidate];
            }
            throw new CairnException($"table '{table}' is not in the backup of database '{database}'", ExitCode.NotFound);
        }
        return source.Files.Select(f => f.Path)
            .Where(p => p.StartsWith(directory, StringComparison.Ordinal))
            .Select(p => (Path: p, Rank: MySqlDumpLayout.RestoreRank(p[directory.Length..])))
            .Where(p => p.Rank >= 0)
            .OrderBy(p => p.Rank).ThenBy(p => p.Path, StringComparer.Ordinal)
            .Select(p => p.Path).ToList();
    }

    // "CREATE DATABASE IF NOT EXISTS `target`" with the character set and collation the dump recorded for the original.
    private static string CreateDatabaseStatement(IComponentRestore source, string database, string target)
    {
        var statement = "CREATE DATABASE IF NOT EXISTS " + MySqlClient.Quote(target);
        var path = MySqlDumpLayout.DatabaseStatementPath(database);
        if (!source.Files.Any(f => f.Path == path)) return statement;
        using var reader = new StreamReader(source.Open(path), Encoding.UTF8);
        var quoted = MySqlClient.Quote(database);
        while (reader.ReadLine() is { } line)
        {
            if (!line.StartsWith("CREATE DATABASE", StringComparison.Ordinal)) continue;
            var at = line.IndexOf(quoted, StringComparison.Ordinal);
            if (at < 0) break;
            return statement + line[(at + quoted.Length)..].TrimEnd().TrimEnd(';');
        }
        return statement;
    }
}
