using System.CommandLine;
using Cairn.Components;
using Cairn.Snapshots;
using Restore = Cairn.Orchestration.Jobs.ComponentRestore;

namespace Cairn.Cli.Commands;

/// <summary>
/// The <c>--component</c> part of <c>cairn restore</c>: one component of a job snapshot, put back by its own type's
/// restore with the options of the config's job that made it, or written out raw with <c>--to-file</c>.
/// </summary>
internal sealed class ComponentRestoreOptions
{
    public const string Help =
        "Job snapshots (cairn job run) are restored one component at a time with --component NAME, by the component's\n" +
        "own restore (a database into its server, keys into a running store, files to their paths); --database,\n" +
        "--schema, --table, --key, --to and --as narrow it, as each component type documents. The component's options\n" +
        "(server, credentials) come from the config's job that made the snapshot. --to-file DIR instead writes the\n" +
        "component's stored files (raw dumps, file trees) into DIR for manual use, and needs no config.\n" +
        "Exit codes: 2 a part the type cannot restore, or no config for the job; 17 no such component; 21 the restore\n" +
        "tool failed.\n\n" +
        "  cairn restore latest --component db --database app --table public.orders --to 10.0.0.5:5432 --as app_copy\n" +
        "  cairn restore 3fa2c1d0 --component etc --to /tmp/etc-restore\n" +
        "  cairn restore latest --component db --to-file /tmp/dumps";

    private readonly Option<string?> _component = new("--component") { Description = "Restore this component of a job snapshot (see below)." };
    private readonly Option<string?> _database = new("--database") { Description = "With --component: only this database." };
    private readonly Option<string?> _schema = new("--schema") { Description = "With --component: only this schema of --database." };
    private readonly Option<string?> _table = new("--table") { Description = "With --component: only this table (or collection) of --database." };
    private readonly Option<string?> _key = new("--key") { Description = "With --component: only keys, objects or paths matching this pattern." };
    private readonly Option<string?> _to = new("--to") { Description = "With --component: restore into this server, data directory, bucket or directory instead of the configured one." };
    private readonly Option<string?> _as = new("--as") { Description = "With --component: restore the database (or collection) under this new name." };
    private readonly Option<string?> _toFile = new("--to-file") { Description = "With --component: write the component's raw stored files into this directory (needs no config)." };

    private ComponentRestoreOptions() { }

    public static ComponentRestoreOptions AddTo(Command command)
    {
        var options = new ComponentRestoreOptions();
        foreach (var option in new[] { options._component, options._database, options._schema, options._table, options._key, options._to, options._as, options._toFile })
            command.Add(option);
        return options;
    }

    public bool IsRequested(Session session)
    {
        if (session.Get(_component) is not null) return true;
        var stray = new[] { _database, _schema, _table, _key, _to, _as, _toFile }.FirstOrDefault(o => session.Get(o) is not null);
        return stray is null ? false : throw new CairnException($"{stray.Name} restores part of a component: give --component NAME too", ExitCode.Usage);
    }

    public async Task<int> RunAsync(Session session, Repository repository, Snapshot snapshot, CancellationToken ct)
    {
        var name = session.Get(_component)!;
        var source = await Restore.OpenAsync(repository, snapshot, name, session.Info, ct).ConfigureAwait(false);
        var recorded = source.Recorded;
        if (recorded.Status != SnapshotStatus.Complete)
            session.Warn($"component '{name}' of snapshot {snapshot.Id.ToShortString()} is {recorded.Status.ToString().ToLowerInvariant()}" +
                         (recorded.Error is { } error ? $": {error}" : "") + ": what it stored may be incomplete");

        if (session.Get(_toFile) is { } directory)
        {
            var result = await source.RestoreDirectoryAsync(directory, [], ct).ConfigureAwait(false);
            foreach (var e in result.Errors) session.Env.Error.WriteLine($"cairn: error: {e.Path}: {e.Message}");
            if (session.Json) session.WriteJson(new { Component = name, ToFile = Path.GetFullPath(directory), Files = result.Files, Bytes = result.Bytes, Errors = result.Errors.Count });
            else session.Info($"wrote {result.Files} files ({Format.Bytes(result.Bytes)}) of component '{name}' ({recorded.Type}) into {Path.GetFullPath(directory)}");
            return result.Errors.Count == 0 ? 0 : (int)ExitCode.Integrity;
        }

        var component = FromConfig(session, snapshot, recorded);
        await component.RestoreAsync(source, new ComponentRestoreRequest
        {
            Database = session.Get(_database),
            Schema = session.Get(_schema),
            Table = session.Get(_table),
            Key = session.Get(_key),
            Target = session.Get(_to),
            NewName = session.Get(_as),
        }, ct).ConfigureAwait(false);
        if (session.Json) session.WriteJson(new { Component = name, recorded.Type, Restored = true });
        else session.Info($"restored component '{name}' ({recorded.Type}) of snapshot {snapshot.Id.ToShortString()}");
        return 0;
    }

    // The component's restore needs its configured options (server, credentials), from the job that made the snapshot.
    private static IComponent FromConfig(Session session, Snapshot snapshot, SnapshotComponent recorded)
    {
        var hint = $": to get its stored files without it, use --to-file DIR";
        Orchestration.Config.CairnConfig config;
        try
        {
            config = ConfigAccess.Load(session);
        }
        catch (CairnException e)
        {
            throw new CairnException($"restoring component '{recorded.Name}' needs the config of job '{snapshot.Job}': {e.Message}{hint}", ExitCode.Usage, e);
        }
        var job = config.FindJob(snapshot.Job ?? "")
            ?? throw new CairnException($"the config {config.SourcePath} has no job '{snapshot.Job}', which made snapshot {snapshot.Id.ToShortString()}{hint}", ExitCode.Usage);
        var definition = job.Components.FirstOrDefault(c => c.Name == recorded.Name)
            ?? throw new CairnException($"job '{job.Name}' in {config.SourcePath} has no component '{recorded.Name}' any more{hint}", ExitCode.Usage);
        if (definition.Type.Name != recorded.Type)
            throw new CairnException($"component '{recorded.Name}' was a {recorded.Type} component when backed up, but the config now makes it a {definition.Type.Name}{hint}", ExitCode.Usage);
        return definition.Create();
    }
}
