using Cairn.Orchestration.Config;

namespace Cairn.Cli;

/// <summary>The config file for commands that need one: located from --config/$CAIRN_CONFIG, loaded for --environment/$CAIRN_ENVIRONMENT.</summary>
internal static class ConfigAccess
{
    /// <summary>Locates and loads the config; a missing or invalid file is a <see cref="CairnException"/> (exit code 2).</summary>
    internal static CairnConfig Load(Session session)
    {
        var variables = new Dictionary<string, string?>(session.Env.Variables, StringComparer.Ordinal);
        var path = ConfigLoader.Locate(session.ConfigOption, variables, Directory.GetCurrentDirectory());
        var environment = session.EnvironmentOption ?? session.Env.Get("CAIRN_ENVIRONMENT");
        return ConfigLoader.Load(path, environment, variables, session.Env.ComponentTypes);
    }
}
