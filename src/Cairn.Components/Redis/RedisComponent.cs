using System.Globalization;
using System.Text;
using Cairn.Components.Tools;
using StackExchange.Redis;

namespace Cairn.Components.Redis;

/// <summary>
/// A Redis server: an RDB snapshot taken over the replication protocol by <c>redis-cli --rdb</c> (<c>dump.rdb</c>, for
/// a stopped server's data directory), and a logical export of every key (<c>keys/dbN.keys</c>, DUMP payloads with
/// absolute expiries in <see cref="RedisKeyFile"/> format, for RESTORE into a running server).
/// </summary>
public sealed class RedisComponent(string name, RedisOptions options) : IComponent
{
    /// <summary>The RDB snapshot's path in the component's directory.</summary>
    public const string RdbPath = "dump.rdb";

    private const string DebianPackage = "redis-tools";
    private const int RestoreBatch = 500;

    /// <summary>The component's name in its job.</summary>
    public string Name { get; } = name;

    /// <summary>The redis-cli command that streams an RDB snapshot to stdout; the password goes in REDISCLI_AUTH.</summary>
    public static ToolCommand RdbCommand(RedisOptions options)
    {
        var args = new List<string> { "-h", options.Host, "-p", options.Port.ToString(CultureInfo.InvariantCulture) };
        if (options.Username is not null) args.AddRange(["--user", options.Username]);
        args.AddRange(["--rdb", "-"]);
        var environment = new Dictionary<string, string>();
        if (options.Password is not null) environment["REDISCLI_AUTH"] = options.Password;
        return new ToolCommand { Program = "redis-cli", Arguments = args, Environment = environment, DebianPackage = DebianPackage };
    }

    /// <inheritdoc />
    public async Task BackupAsync(IComponentBackup backup, CancellationToken cancellationToken)
    {
        if (!options.Rdb && !options.Logical) throw new CairnException($"redis component '{Name}': rdb and logical are both false, nothing to back up", ExitCode.Usage);
        var tools = new List<string>();
        var formats = new List<string>();
        if (options.Rdb)
        {
            var version = await ToolRunner.RunCapturingAsync(new ToolCommand { Program = "redis-cli", Arguments = ["--version"], DebianPackage = DebianPackage }, cancellationToken).ConfigureAwait(false);
            tools.Add(version.Trim());
            formats.Add("RDB (redis-cli --rdb)");
            long size = 0;
            await ToolRunner.RunReadingAsync(RdbCommand(options), async (stdout, ct) =>
            {
                var rdb = new RdbStream(stdout);
                size = (await backup.AddStreamAsync(RdbPath, rdb, ct).ConfigureAwait(false)).Size;
            }, cancellationToken).ConfigureAwait(false);
            backup.Manifest.Details["rdb"] = RdbPath;
            backup.Info($"RDB snapshot: {size} bytes");
        }

        await using var connection = await RedisConnector.ConnectAsync(options.Host, options.Port, options.Username, options.Password, cancellationToken).ConfigureAwait(false);
        var server = connection.GetServer(options.Host, options.Port);
        backup.Manifest.ServerVersion = "Redis " + server.Version.ToString();
        if (options.Logical)
        {
            tools.Add("StackExchange.Redis " + typeof(ConnectionMultiplexer).Assembly.GetName().Version?.ToString(3));
            formats.Add("cairn redis keys v1 (DUMP + absolute expiry per key)");
            var databases = options.Databases.Count > 0 ? options.Databases : await DatabasesWithKeysAsync(server).ConfigureAwait(false);
            foreach (var db in databases)
            {
                await using var export = new RedisKeyExportStream(server, connection.GetDatabase(db), backup.Time);
                try
                {
                    await backup.AddStreamAsync(KeysPath(db), export, cancellationToken).ConfigureAwait(false);
                }
                catch (RedisException e)
                {
                    throw new ComponentFailedException($"exporting the keys of redis db {db} failed: {RedisConnector.OneLine(e.Message)}", e);
                }
                catch (TimeoutException e)
                {
                    throw new ComponentFailedException($"exporting the keys of redis db {db} failed: {RedisConnector.OneLine(e.Message)}", e);
                }
                backup.Manifest.Items.Add($"db{db}: {export.Count} keys");
                backup.Manifest.Details["keys.db" + db.ToString(CultureInfo.InvariantCulture)] = export.Count.ToString(CultureInfo.InvariantCulture);
            }
        }
        backup.Manifest.Tool = string.Join(", ", tools);
        backup.Manifest.Format = string.Join(" + ", formats);
    }

    /// <inheritdoc />
    public async Task RestoreAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Schema is not null || request.Table is not null)
            throw new CairnException("a redis component restores --key, --database (a db number), --to and --as; --schema and --table do not apply", ExitCode.Usage);
        if (request.Target is { } target && (target.Contains('/', StringComparison.Ordinal) || Directory.Exists(target)))
        {
            await RestoreRdbAsync(source, request, target, cancellationToken).ConfigureAwait(false);
            return;
        }
        await RestoreKeysAsync(source, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The path of one database's key export.</summary>
    public static string KeysPath(int database) => "keys/db" + database.ToString(CultureInfo.InvariantCulture) + ".keys";

    private static async Task RestoreRdbAsync(IComponentRestore source, ComponentRestoreRequest request, string directory, CancellationToken ct)
    {
        if (request.Key is not null || request.Database is not null)
            throw new CairnException("--key and --database select keys of a logical restore (--to host:port); an RDB restore into a data directory puts back the whole server", ExitCode.Usage);
        if (!source.Files.Any(f => f.Path == RdbPath))
            throw new CairnException("this backup has no RDB snapshot (the component ran with rdb: false): restore its keys into a running server with --to host:port", ExitCode.NotFound);
        await using var rdb = source.Open(RdbPath);
        var written = await RdbDirectoryRestore.WriteAsync(rdb, directory, request.NewName ?? "dump.rdb", ct).ConfigureAwait(false);
        source.Info($"wrote {written}; start redis-server with this dir (and appendonly no, or it loads its AOF instead)");
    }

    private async Task RestoreKeysAsync(IComponentRestore source, ComponentRestoreRequest request, CancellationToken ct)
    {
        var files = source.Files.Where(f => f.Path.StartsWith("keys/db", StringComparison.Ordinal) && f.Path.EndsWith(".keys", StringComparison.Ordinal))
            .Select(f => (f.Path, Db: int.Parse(f.Path["keys/db".Length..^".keys".Length], CultureInfo.InvariantCulture))).ToList();
        if (files.Count == 0)
            throw new CairnException("this backup has no key export (the component ran with logical: false): restore its RDB into a stopped server's data directory with --to DIR", ExitCode.NotFound);
        if (request.Database is { } wanted)
        {
            var db = ParseDb(wanted, "--database");
            files = files.Where(f => f.Db == db).ToList();
            if (files.Count == 0) throw new CairnException($"db {db} is not in this backup", ExitCode.NotFound);
        }
        int? renamed = request.NewName is { } newName ? ParseDb(newName, "--as") : null;
        if (renamed is not null && files.Count != 1) throw new CairnException("--as moves one db: give --database too", ExitCode.Usage);

        var (host, port) = HostPort.Parse(request.Target, options.Host, options.Port,
            "host:port (a running server) or a directory containing '/' (a stopped server's data directory)");
        await using var connection = await RedisConnector.ConnectAsync(host, port, options.Username, options.Password, ct).ConfigureAwait(false);
        var pattern = request.Key is null ? null : Encoding.UTF8.GetBytes(request.Key);
        foreach (var (path, db) in files)
        {
            var target = renamed ?? db;
            var (restored, expired) = await RestoreFileAsync(source, path, connection.GetDatabase(target), pattern, ct).ConfigureAwait(false);
            source.Info($"db{db}: restored {restored} keys into db {target} on {host}:{port}" + (expired > 0 ? $", skipped {expired} already expired" : ""));
        }
    }

    private static async Task<(long Restored, long Expired)> RestoreFileAsync(IComponentRestore source, string path, IDatabase database, byte[]? pattern, CancellationToken ct)
    {
        long restored = 0, expired = 0;
        var pending = new List<(RedisKeyFile.Entry Entry, Task<RedisResult> Reply)>(RestoreBatch);
        await using var stream = source.Open(path);
        try
        {
            await foreach (var entry in RedisKeyFile.ReadAsync(stream, $"{source.ComponentName}/{path}", ct).ConfigureAwait(false))
            {
                if (pattern is not null && !RedisGlob.IsMatch(pattern, entry.Key)) continue;
                // ABSTTL: the expiry is the absolute time recorded at backup; 0 means none. An expiry already past is
                // skipped (Redis would accept and drop it at once).
                if (entry.ExpiresAtMs > 0 && entry.ExpiresAtMs <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
                {
                    expired++;
                    continue;
                }
                pending.Add((entry, database.ExecuteAsync("RESTORE", (RedisKey)entry.Key, Math.Max(entry.ExpiresAtMs, 0), entry.Payload, "REPLACE", "ABSTTL")));
                if (pending.Count == RestoreBatch) restored += await DrainAsync(pending, ct).ConfigureAwait(false);
            }
            restored += await DrainAsync(pending, ct).ConfigureAwait(false);
        }
        catch (RedisException e)
        {
            throw new ComponentFailedException($"restoring {path} failed: {RedisConnector.OneLine(e.Message)}", e);
        }
        return (restored, expired);
    }

    private static async Task<long> DrainAsync(List<(RedisKeyFile.Entry Entry, Task<RedisResult> Reply)> pending, CancellationToken ct)
    {
        foreach (var (entry, reply) in pending)
        {
            try
            {
                await reply.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (RedisServerException e)
            {
                throw new ComponentFailedException($"RESTORE of key '{RedisKeyFile.Show(entry.Key)}' failed: {e.Message}", e);
            }
        }
        var count = pending.Count;
        pending.Clear();
        return count;
    }

    private static async Task<IReadOnlyList<int>> DatabasesWithKeysAsync(IServer server)
    {
        // INFO keyspace lists "db0:keys=812,expires=61,avg_ttl=…" for each database that has keys.
        var info = await server.InfoAsync("keyspace").ConfigureAwait(false);
        return info.SelectMany(g => g)
            .Where(kv => kv.Key.StartsWith("db", StringComparison.Ordinal))
            .Select(kv => int.Parse(kv.Key[2..], CultureInfo.InvariantCulture)).Order().ToList();
    }

    private static int ParseDb(string text, string flag)
    {
        var digits = text.StartsWith("db", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var db)
            ? db
            : throw new CairnException($"{flag} '{text}': a redis database is a number (0, 1, … or db0, db1, …)", ExitCode.Usage);
    }
}
