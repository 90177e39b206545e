using Cairn.Components;
using Cairn.Components.Mongo;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.Mongo;

// No MongoDB server can run here: these check what the component hands to mongodump/mongorestore. The end-to-end test
// (MongoDbEndToEndTests) runs against a real server when MONGODB_URI is set.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MongoCommandLineTests
{
    private const string Secret = "s3cr'et:@/pw";

    [Fact]
    public void Dump_takes_credentials_from_the_config_file_only_and_dumps_one_database_deterministically()
    {
        var command = MongoCommands.Dump("/tmp/cairn-x.yaml", "app", ["--readPreference=secondary"]);

        Assert.Equal("mongodump", command.Program);
        Assert.Equal(["--config", "/tmp/cairn-x.yaml", "--archive", "--db", "app", "--numParallelCollections", "1", "--readPreference=secondary"], command.Arguments);
        Assert.Empty(command.Environment);
        Assert.Equal("mongodb-database-tools", command.DebianPackage);
    }

    [Fact]
    public void Restore_reads_the_archive_from_stdin_with_drop_and_the_namespace_options()
    {
        var command = MongoCommands.Restore("/tmp/c.yaml", MongoNamespaces.Arguments("app", "users", null), drop: true, ["--noIndexRestore"]);

        Assert.Equal("mongorestore", command.Program);
        Assert.Equal(["--config", "/tmp/c.yaml", "--archive", "--drop", "--nsInclude", "app.users", "--noIndexRestore"], command.Arguments);
        Assert.DoesNotContain("--drop", MongoCommands.Restore("/tmp/c.yaml", [], drop: false, []).Arguments);
    }

    [Fact]
    public void Options_with_host_user_and_password_give_a_uri_without_the_password_and_a_config_with_it()
    {
        var connection = MongoConnection.FromOptions(new MongoDbOptions { Host = "db.example", Port = 27018, User = "back up", Password = Secret });

        Assert.Equal("mongodb://back%20up@db.example:27018/?authSource=admin", connection.Uri);
        Assert.DoesNotContain("s3cr", connection.ToString(), StringComparison.Ordinal);
        Assert.Equal("uri: 'mongodb://back%20up@db.example:27018/?authSource=admin'\npassword: 's3cr''et:@/pw'\n", connection.ConfigYaml());
        Assert.Equal("mongodb://back%20up:s3cr%27et%3A%40%2Fpw@db.example:27018/?authSource=admin", connection.DriverUri());
    }

    [Fact]
    public void Auth_database_and_a_server_without_authentication()
    {
        Assert.Equal("mongodb://u@h:1/?authSource=users",
            MongoConnection.FromOptions(new MongoDbOptions { Host = "h", Port = 1, User = "u", Password = "p", AuthDatabase = "users" }).Uri);
        var open = MongoConnection.FromOptions(new MongoDbOptions());
        Assert.Equal("mongodb://127.0.0.1:27017/", open.Uri);
        Assert.Equal("uri: 'mongodb://127.0.0.1:27017/'\n", open.ConfigYaml());
    }

    [Fact]
    public void A_uri_with_a_password_is_split_so_only_the_config_file_holds_it()
    {
        var connection = MongoConnection.FromOptions(new MongoDbOptions { Uri = "mongodb://admin:p%40ss%3Aw@m1:27017,m2:27017/?replicaSet=rs0&authSource=admin" });

        Assert.Equal("mongodb://admin@m1:27017,m2:27017/?replicaSet=rs0&authSource=admin", connection.Uri);
        Assert.Equal("p@ss:w", connection.Password);
        Assert.Contains("password: 'p@ss:w'\n", connection.ConfigYaml(), StringComparison.Ordinal);
        Assert.Equal("mongodb://admin:p%40ss%3Aw@m1:27017,m2:27017/?replicaSet=rs0&authSource=admin", connection.DriverUri());
    }

    [Fact]
    public void A_uri_without_credentials_takes_user_and_password_from_the_options()
    {
        var connection = MongoConnection.FromOptions(new MongoDbOptions { Uri = "mongodb+srv://cluster0.example.net/?tls=true", User = "ops", Password = "pw" });

        Assert.Equal("mongodb+srv://ops@cluster0.example.net/?tls=true", connection.Uri);
        Assert.Equal("pw", connection.Password);
    }

    [Fact]
    public void Bad_uris_and_a_password_without_a_user_are_usage_errors_that_do_not_echo_the_uri()
    {
        var e = Assert.Throws<CairnException>(() => MongoConnection.FromUri("http://u:" + Secret + "@h"));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.DoesNotContain("s3cr", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => MongoConnection.FromOptions(new MongoDbOptions { Password = "p" })).ExitCode);
    }

    [Fact]
    public void Restore_to_another_server_keeps_the_user_password_and_options()
    {
        var connection = MongoConnection.FromOptions(new MongoDbOptions { Uri = "mongodb://ops:pw@prod:27017/?authSource=admin" });

        var byHost = connection.Retarget("staging:27019");
        Assert.Equal("mongodb://ops@staging:27019/?authSource=admin", byHost.Uri);
        Assert.Equal("pw", byHost.Password);
        Assert.Equal("mongodb://ops@other:27017", connection.Retarget("mongodb://other:27017").Uri);
        Assert.Equal("pw", connection.Retarget("mongodb://other:27017").Password);
        Assert.Null(connection.Retarget("mongodb://someone@other:27017").Password);
        Assert.Equal("mongodb://ops@solo:27017/?authSource=admin", connection.Retarget("solo").Uri);
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => connection.Retarget("a/b")).ExitCode);
    }

    [Fact]
    public void Config_file_is_created_readable_by_the_owner_only_and_deleted_after()
    {
        string path;
        using (var file = SecretFile.Create(MongoConnection.FromOptions(new MongoDbOptions { User = "u", Password = Secret }).ConfigYaml(), ".yaml"))
        {
            path = file.Path;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal("uri: 'mongodb://u@127.0.0.1:27017/?authSource=admin'\npassword: 's3cr''et:@/pw'\n", File.ReadAllText(path));
            Assert.EndsWith(".yaml", path, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("app", null, null, new[] { "--nsInclude", "app.*" })]
    [InlineData("app", "users", null, new[] { "--nsInclude", "app.users" })]
    [InlineData("app", "audit.2024", null, new[] { "--nsInclude", "app.audit.2024" })]
    [InlineData("app", null, "app_copy", new[] { "--nsInclude", "app.*", "--nsFrom", "app.*", "--nsTo", "app_copy.*" })]
    [InlineData("app", "users", "users_old", new[] { "--nsInclude", "app.users", "--nsFrom", "app.users", "--nsTo", "app.users_old" })]
    [InlineData("app", "users", "scratch.u", new[] { "--nsInclude", "app.users", "--nsFrom", "app.users", "--nsTo", "scratch.u" })]
    [InlineData("app", "we*ird$", "x", new[] { "--nsInclude", @"app.we\*ird$", "--nsFrom", @"app.we\*ird\$", "--nsTo", "app.x" })]
    public void Namespace_options_for_database_collection_and_new_name(string database, string? collection, string? newName, string[] expected)
    {
        Assert.Equal(expected, MongoNamespaces.Arguments(database, collection, newName));
    }

    [Fact]
    public void A_new_database_name_with_a_dot_is_refused()
    {
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => MongoNamespaces.Arguments("app", null, "a.b")).ExitCode);
    }

    [Theory]
    [InlineData("2024-05-01T10:00:00.123+0000\twriting app.errors to archive on stdout", false)]
    [InlineData("2024-05-01T10:00:00.123+0000\tdone dumping app.errors (12 documents)", false)]
    [InlineData("2024-05-01T10:00:00.123+0000\tFailed: error connecting to db server: server returned error on SASL authentication step: Authentication failed.", true)]
    [InlineData("Failed: can't create session: could not connect to server", true)]
    [InlineData("2024-05-01T10:00:00.123+0000\t10 document(s) restored successfully. 2 document(s) failed to restore.", true)]
    [InlineData("2024-05-01T10:00:00.123+0000\t10 document(s) restored successfully. 0 document(s) failed to restore.", false)]
    [InlineData("2024-05-01T10:00:00.123+0000\tcontinuing through error: E11000 duplicate key error collection", true)]
    public void Only_the_tools_failure_lines_count_as_errors(string line, bool isError)
    {
        Assert.Equal(isError, MongoCommands.IsErrorLine(line));
    }

    [Fact]
    public async Task A_missing_tool_says_where_to_get_it_since_Debian_has_no_package()
    {
        var e = await Assert.ThrowsAsync<ComponentFailedException>(() =>
            ToolRunner.RunCapturingAsync(MongoCommands.Version("/nonexistent/mongodump"), CancellationToken.None));

        Assert.Contains("not installed", e.Message, StringComparison.Ordinal);
        Assert.Contains("Debian has no package", e.Message, StringComparison.Ordinal);
        Assert.Contains("mongodb-database-tools", e.Message, StringComparison.Ordinal);
        Assert.Equal(ExitCode.ComponentFailed, e.ExitCode);
    }

    [Fact]
    public async Task Restore_refuses_parts_that_do_not_apply_before_running_anything()
    {
        var component = new MongoDbComponent("db", new MongoDbOptions());
        var e = await Assert.ThrowsAsync<CairnException>(() => component.RestoreAsync(new NoRestore(), new ComponentRestoreRequest { Table = "users" }, CancellationToken.None));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains("--database", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<CairnException>(() => component.RestoreAsync(new NoRestore(), new ComponentRestoreRequest { Key = "x" }, CancellationToken.None));
        Assert.Equal(ExitCode.Usage, e.ExitCode);
    }

    // Never reached: the request is refused before the snapshot is read.
    private sealed class NoRestore : IComponentRestore
    {
        public string ComponentName => "db";

        public Cairn.Snapshots.SnapshotComponent Recorded => throw new InvalidOperationException();

        public IReadOnlyList<StoredStream> Files => throw new InvalidOperationException();

        public Stream Open(string relativePath) => throw new InvalidOperationException();

        public Task RestorePathsAsync(string? targetDirectory, IReadOnlyList<string> includes, CancellationToken cancellationToken) => throw new InvalidOperationException();

        public void Info(string message) { }
    }
}
