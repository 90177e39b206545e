using Cairn.Storage;
using Cairn.Storage.Rest;

namespace Cairn.Cli;

/// <summary>
/// Opens "rest:…" and "rclone:…" locations: REST credentials from the URL or CAIRN_REST_USERNAME with
/// CAIRN_REST_PASSWORD or CAIRN_REST_PASSWORD_FILE; rclone from PATH (or CAIRN_RCLONE_PROGRAM) with the CLI's RCLONE_*
/// variables, so RCLONE_CONFIG and every rclone flag set as a variable reach it.
/// </summary>
internal static class RestLocations
{
    /// <summary>Variables besides RCLONE_* that decide where rclone finds its config file.</summary>
    private static readonly string[] s_rcloneLocating = ["HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"];

    public static IBlobStore OpenRest(string location, TransferOptions transfer, CliEnvironment env)
    {
        var user = env.Get("CAIRN_REST_USERNAME");
        var password = env.Get("CAIRN_REST_PASSWORD") ?? ReadPasswordFile(env.Get("CAIRN_REST_PASSWORD_FILE"));
        RestEndpoint endpoint;
        try
        {
            endpoint = RestEndpoint.Parse(location, user is null && password is null ? null : new RestCredentials(user ?? "", password ?? ""));
        }
        catch (ArgumentException e)
        {
            throw new CairnException(e.Message, ExitCode.Usage, e);
        }
        return env.DisposeWhenDone(new RestBlobStore(endpoint, transfer));
    }

    public static IBlobStore OpenRclone(string location, TransferOptions transfer, CliEnvironment env)
    {
        var remote = location[RcloneOptions.Prefix.Length..];
        if (remote.Length == 0) throw new CairnException("an rclone location names a remote and a path: rclone:remote:path", ExitCode.Usage);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in env.Variables)
        {
            if (value is not null && (name.StartsWith("RCLONE_", StringComparison.Ordinal) || s_rcloneLocating.Contains(name))) variables[name] = value;
        }
        var options = new RcloneOptions
        {
            Remote = remote,
            Program = env.Get("CAIRN_RCLONE_PROGRAM") ?? "rclone",
            SearchPath = env.Get("PATH"),
            Environment = variables,
        };
        return env.DisposeWhenDone(RestBlobStore.ForRclone(options, transfer));
    }

    /// <summary>Removes user and password from URLs in a location string, for messages and lock files.</summary>
    public static string Redact(string location) => RestEndpoint.Redact(location);

    private static string? ReadPasswordFile(string? path)
    {
        if (path is null) return null;
        try
        {
            return File.ReadAllText(path).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read CAIRN_REST_PASSWORD_FILE {path}: {e.Message}", ExitCode.Usage, e);
        }
    }
}
