using Cairn.Components;
using Cairn.Components.MySql;
using Cairn.Components.Tools;

namespace Cairn.Tests.Components.MySql;

public sealed class MySqlCommandTests
{
    private static readonly MySqlOptions s_options = new() { Host = "db.example", Port = 3307, User = "backup", Password = "s3cr\"et\\pw", Databases = ["app"] };

    [Fact]
    public void The_password_goes_into_a_private_option_file_never_into_arguments()
    {
        string optionFile;
        using (var client = new MySqlClient(s_options.Host, s_options.Port, s_options.User, s_options.Password))
        {
            var command = client.Command("mysqldump", MySqlComponent.DumpArguments(s_options, s_options.Databases));

            Assert.DoesNotContain(command.Arguments, a => a.Contains("s3cr", StringComparison.Ordinal));
            Assert.Empty(command.Environment);
            Assert.StartsWith("--defaults-extra-file=", command.Arguments[0], StringComparison.Ordinal);
            Assert.Equal(["--host=db.example", "--port=3307", "--user=backup"], command.Arguments.Skip(1).Take(3));
            Assert.Equal("mariadb-client", command.DebianPackage);
            optionFile = command.Arguments[0]["--defaults-extra-file=".Length..];
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(optionFile));
            Assert.Equal("[client]\npassword=\"s3cr\\\"et\\\\pw\"\n", File.ReadAllText(optionFile));
        }
        Assert.False(File.Exists(optionFile));
    }

    [Fact]
    public void Dump_arguments_make_one_consistent_run_over_the_databases_with_its_section_comments()
    {
        var args = MySqlComponent.DumpArguments(s_options, ["app", "crm"]);

        Assert.Contains("--single-transaction", args);
        Assert.Contains("--routines", args);
        Assert.Contains("--skip-dump-date", args);
        Assert.DoesNotContain("--compact", args);
        Assert.DoesNotContain("--skip-comments", args);
        Assert.Equal(["--databases", "app", "crm"], args.TakeLast(3));
        Assert.DoesNotContain("--single-transaction", MySqlComponent.DumpArguments(s_options with { SingleTransaction = false }, ["app"]));
    }

    [Fact]
    public void Restore_targets_parse_as_host_and_port()
    {
        Assert.Equal(("h", 3306), HostPort.Parse(null, "h", 3306));
        Assert.Equal(("other", 3306), HostPort.Parse("other", "h", 3306));
        Assert.Equal(("other", 23306), HostPort.Parse("other:23306", "h", 3306));
        Assert.Equal(("::1", 3307), HostPort.Parse("[::1]:3307", "h", 3306));
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => HostPort.Parse("other:x", "h", 3306)).ExitCode);
    }

    [Fact]
    public void The_catalog_knows_the_type()
    {
        var type = ComponentCatalog.Find("mysql");
        Assert.NotNull(type);
        Assert.IsType<MySqlComponent>(type.Create("db", new MySqlOptions()));
    }
}
