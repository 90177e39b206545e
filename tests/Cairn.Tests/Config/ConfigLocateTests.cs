using Cairn.Orchestration.Config;

namespace Cairn.Tests.Config;

public sealed class ConfigLocateTests : IDisposable
{
    private readonly ConfigTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string System => Path.Combine(_files.Root, "etc", "cairn.yaml");

    [Fact]
    public void The_explicit_path_wins_then_CAIRN_CONFIG_then_the_current_directory_then_etc()
    {
        var cwd = Path.Combine(_files.Root, "cwd");
        var explicitFile = _files.Write("explicit.yaml", "");
        var fromVariable = _files.Write("variable.yaml", "");
        var local = _files.Write("cwd/cairn.yaml", "");
        var system = _files.Write("etc/cairn.yaml", "");
        var variables = new Dictionary<string, string?> { ["CAIRN_CONFIG"] = fromVariable };
        Assert.Equal(explicitFile, ConfigLoader.Locate(explicitFile, variables, cwd, system));
        Assert.Equal(explicitFile, ConfigLoader.Locate("../explicit.yaml", variables, cwd, system)); // relative to the current directory
        Assert.Equal(fromVariable, ConfigLoader.Locate(null, variables, cwd, system));
        Assert.Equal(local, ConfigLoader.Locate(null, new Dictionary<string, string?> { ["CAIRN_CONFIG"] = "" }, cwd, system));
        File.Delete(local);
        Assert.Equal(system, ConfigLoader.Locate(null, new Dictionary<string, string?>(), cwd, system));
    }

    [Fact]
    public void Nothing_found_says_where_it_looked_and_how_to_name_a_file()
    {
        var cwd = Path.Combine(_files.Root, "empty");
        var error = Assert.Throws<CairnException>(() => ConfigLoader.Locate(null, new Dictionary<string, string?>(), cwd, System));
        Assert.Equal(ExitCode.Usage, error.ExitCode);
        Assert.Equal($"no config file: looked for {cwd}/cairn.yaml and {System}; name one with --config FILE or $CAIRN_CONFIG", error.Message);
    }

    [Fact]
    public void A_named_file_that_does_not_exist_is_an_error_not_a_fallback()
    {
        _files.Write("cairn.yaml", "");
        var missing = Path.Combine(_files.Root, "missing.yaml");
        var viaOption = Assert.Throws<CairnException>(() => ConfigLoader.Locate(missing, new Dictionary<string, string?>(), _files.Root, System));
        Assert.Equal($"config file {missing} (from --config) does not exist", viaOption.Message);
        var viaVariable = Assert.Throws<CairnException>(() => ConfigLoader.Locate(null, new Dictionary<string, string?> { ["CAIRN_CONFIG"] = missing }, _files.Root, System));
        Assert.Equal(ExitCode.Usage, viaVariable.ExitCode);
        Assert.Contains("$CAIRN_CONFIG", viaVariable.Message);
    }
}
