using System.Globalization;
using Cairn.Components.Tools;

namespace Cairn.Components.Postgres;

/// <summary>
/// Puts a postgres component back with pg_restore: every database (after the globals), one database, one schema or
/// one table, into the configured server or another (<c>--to host:port</c>), under its own name or a new one
/// (<c>--as</c>). Each pg_restore runs as one transaction with <c>--clean --if-exists</c>: the restored objects replace
/// their current versions, and a restore that fails changes nothing.
/// </summary>
internal sealed class PostgresRestorer(PostgresOptions options)
{
    private const int CopyBufferSize = 1 << 20;

    private static readonly string[] s_replace = ["--clean", "--if-exists", "--single-transaction"];

    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken ct)
    {
        if (request.Key is not null) throw Usage("--key does not apply to a postgres component; use --database, --schema or --table");
        var tools = request.Target is { } target ? ParseTarget(target) : PostgresTools.For(options);
        var (schema, table) = SchemaAndTable(request);
        var stored = PostgresLayout.Databases(source.Recorded.Details, source.Files);

        IReadOnlyList<(string Database, string File)> chosen = stored;
        if (request.Database is { } wanted)
        {
            chosen = [.. stored.Where(d => d.Database == wanted)];
            if (chosen.Count == 0)
                throw new CairnException($"database '{wanted}' is not in component {source.ComponentName} (it holds: {string.Join(", ", stored.Select(d => d.Database))})", ExitCode.NotFound);
        }
        else if ((schema is not null || request.NewName is not null) && stored.Count != 1)
        {
            throw Usage($"component {source.ComponentName} holds {stored.Count} databases ({string.Join(", ", stored.Select(d => d.Database))}): name one with --database");
        }

        // Roles first: the dumps name owners and grantees that must exist. Only for a whole-component restore.
        var whole = request.Database is null && schema is null;
        if (whole && source.Files.Any(f => f.Path == PostgresLayout.GlobalsFile))
        {
            await RestoreGlobalsAsync(tools, source, ct).ConfigureAwait(false);
            source.Info($"{source.ComponentName}: roles and tablespaces restored on {tools.Endpoint}");
        }

        foreach (var (database, file) in chosen)
        {
            var into = request.NewName ?? database;
            if (!await PostgresCatalog.DatabaseExistsAsync(tools, options.MaintenanceDatabase, into, ct).ConfigureAwait(false))
            {
                await PostgresCatalog.CreateDatabaseAsync(tools, options.MaintenanceDatabase, into, ct).ConfigureAwait(false);
                source.Info($"{source.ComponentName}: created database {into} on {tools.Endpoint}");
            }
            if (schema is null)
            {
                await ToolRunner.RunWritingAsync(tools.Restore(into, s_replace), Feed(source, file), ct).ConfigureAwait(false);
                source.Info($"{source.ComponentName}: database {database} restored into {into} on {tools.Endpoint}");
                continue;
            }
            var toc = TocEntry.ParseList(await PrintAsync(tools, source, file, ["--list"], ct).ConfigureAwait(false));
            IReadOnlyList<TocEntry> selection;
            string what;
            if (table is null)
            {
                selection = DumpSelection.Schema(toc, schema);
                what = $"schema {schema}";
            }
            else
            {
                var sql = string.Join('\n', await PrintAsync(tools, source, file, ["--schema-only", "--file=-"], ct).ConfigureAwait(false));
                selection = DumpSelection.Table(toc, sql, schema, table);
                what = $"table {schema}.{table}";
            }
            if (!selection.Any(e => e.Kind is "SCHEMA" or "TABLE"))
                throw new CairnException($"{what} is not in the dump of database {database} in component {source.ComponentName}", ExitCode.NotFound);
            await RestoreSelectionAsync(tools, source, file, into, selection, ct).ConfigureAwait(false);
            source.Info($"{source.ComponentName}: {what} of {database} restored into {into} on {tools.Endpoint} ({selection.Count} dump entries)");
        }
    }

    /// <summary>
    /// The schema and table asked for: <c>--table sales.orders</c>, <c>--schema sales --table orders</c>, or
    /// <c>--table orders</c> for public.orders.
    /// </summary>
    internal static (string? Schema, string? Table) SchemaAndTable(ComponentRestoreRequest request)
    {
        if (request.Table is not { } table) return (request.Schema, null);
        if (request.Schema is not null) return (request.Schema, table);
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? (table[..dot], table[(dot + 1)..]) : ("public", table);
    }

    /// <summary>The tools against <c>--to</c>: "host", "host:port", "[v6]:port", or a socket directory "/run/postgresql".</summary>
    internal PostgresTools ParseTarget(string target)
    {
        if (target.StartsWith('/')) return PostgresTools.For(options).At(target, options.Port);
        var colon = target.LastIndexOf(':');
        var bracketed = target.StartsWith('[');
        if (colon > 0 && (!bracketed || target[colon - 1] == ']') && (bracketed || target.IndexOf(':', StringComparison.Ordinal) == colon))
        {
            if (!int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw Usage($"--to {target}: the port must be a number from 1 to 65535 (host:port)");
            return PostgresTools.For(options).At(target[..colon].Trim('[', ']'), port);
        }
        return PostgresTools.For(options).At(target.Trim('[', ']'), options.Port);
    }

    private async Task RestoreGlobalsAsync(PostgresTools tools, IComponentRestore source, CancellationToken ct)
    {
        // Roles and tablespaces that exist are kept, and the ALTER ROLE that follows each CREATE ROLE sets them to
        // their backed-up attributes; any other error fails the restore.
        var script = tools.Script(options.MaintenanceDatabase, line => ToolCommand.DefaultIsErrorLine(line) && !line.Contains("already exists", StringComparison.Ordinal));
        await ToolRunner.RunWritingAsync(script, Feed(source, PostgresLayout.GlobalsFile), ct).ConfigureAwait(false);
    }

    private static async Task RestoreSelectionAsync(PostgresTools tools, IComponentRestore source, string file, string into,
        IReadOnlyList<TocEntry> selection, CancellationToken ct)
    {
        var list = Path.Combine(Path.GetTempPath(), $"cairn-pg-restore-{Guid.NewGuid():N}.list");
        try
        {
            await File.WriteAllLinesAsync(list, selection.Select(e => e.Line), ct).ConfigureAwait(false);
            await ToolRunner.RunWritingAsync(tools.Restore(into, [.. s_replace, "--use-list=" + list]), Feed(source, file), ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(list);
        }
    }

    private static async Task<List<string>> PrintAsync(PostgresTools tools, IComponentRestore source, string file, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var lines = new List<string>();
        await ToolRunner.RunWritingAsync(tools.Inspect(arguments), Feed(source, file), ct, lines.Add).ConfigureAwait(false);
        return lines;
    }

    private static Func<Stream, CancellationToken, Task> Feed(IComponentRestore source, string file) => async (stdin, ct) =>
    {
        var input = source.Open(file);
        await using (input.ConfigureAwait(false))
        {
            var buffer = new byte[CopyBufferSize];
            int read;
            while ((read = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                try
                {
                    await stdin.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // The tool stopped reading: a listing needs only the dump's table of contents, and a tool that
                    // failed says so by its exit status, which the runner checks next.
                    return;
                }
            }
        }
    };

    private static CairnException Usage(string message) => new(message, ExitCode.Usage);
}
