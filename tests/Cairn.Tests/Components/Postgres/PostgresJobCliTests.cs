using Cairn.Tests.Cli;

namespace Cairn.Tests.Components.Postgres;

/// <summary>
/// The postgres component through the front end, as an operator runs it: a YAML config, <c>cairn job run</c>, a wrong
/// password that must leave a failed snapshot and exit 21, and <c>cairn restore --component --table</c>.
/// </summary>
public sealed class PostgresJobCliTests : IDisposable
{
    private readonly CliHarness _cli = new();
    private readonly PgTestServer _pg = new();

    public void Dispose() => _cli.Dispose();

    private void WriteConfig(string database, string passwordFile)
    {
        var path = Path.Combine(_cli.Root, "cairn.yaml");
        File.WriteAllText(path, $$"""
            targets:
              primary: {repository: {{_cli.Repo}}, password: {{CliHarness.Password}}}
            jobs:
              nightly:
                targets: [primary]
                components:
                  - {name: db, type: postgres, host: {{_pg.Host}}, port: {{_pg.Port}}, user: {{_pg.User}}, password_file: {{passwordFile}},
                     databases: [{{database}}], globals: false, bin_dir: {{_pg.BinDir}}}
            """);
        _cli.Env["CAIRN_CONFIG"] = path;
    }

    [Fact]
    public async Task Job_run_dumps_a_failed_login_exits_21_with_a_failed_snapshot_and_one_table_comes_back()
    {
        var database = await _pg.CopyAsync("app");
        try
        {
            await _cli.InitAsync();
            var passwordFile = Path.Combine(_cli.Root, "pg.pass");
            File.WriteAllText(passwordFile, _pg.Password + "\n");
            WriteConfig(database, passwordFile);

            var run = await _cli.RunAsync(0, "job", "run", "nightly");
            Assert.Matches(@"db\s+postgres\s+complete", run.Stdout);
            var ls = await _cli.RunAsync(0, "ls", "latest");
            Assert.Contains($"{database}.public.notes", ls.Stdout);

            await _pg.QueryAsync(database, "DELETE FROM public.notes WHERE id % 2 = 0");
            Assert.Equal("10", await _pg.QueryAsync(database, "SELECT count(*) FROM public.notes"));

            // A wrong password: the job exits 21 and the snapshot it leaves says failed, with PostgreSQL's reason.
            File.WriteAllText(passwordFile, "not-the-password\n");
            var failed = await _cli.RunAsync("job", "run", "nightly");
            Assert.Equal(21, failed.ExitCode);
            Assert.Contains("password authentication failed", failed.Stdout + failed.Stderr);
            var snapshots = (await _cli.RunAsync(0, "snapshots", "--json")).Json;
            var last = snapshots[snapshots.GetArrayLength() - 1];
            Assert.Equal("failed", last.GetProperty("status").GetString());
            Assert.Contains("password authentication failed", last.GetProperty("components")[0].GetProperty("error").GetString());

            // The last good snapshot restores the one table (the failed one is not "latest good": name it by id).
            File.WriteAllText(passwordFile, _pg.Password + "\n");
            var good = snapshots[snapshots.GetArrayLength() - 2].GetProperty("id").GetString()!;
            await _cli.RunAsync(0, "restore", good, "--component", "db", "--database", database, "--table", "public.notes");
            Assert.Equal("20", await _pg.QueryAsync(database, "SELECT count(*) FROM public.notes"));
        }
        finally
        {
            await _pg.DropAsync(database);
        }
    }
}
