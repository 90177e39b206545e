using System.Diagnostics;

namespace Cairn.Orchestration.Deploy;

/// <summary>Runs systemctl for the system manager or, with <c>--user</c>, the user's own.</summary>
public sealed class Systemctl(bool user)
{
    /// <summary>
    /// Whether a systemd service manager runs here (as sd_booted(3) tells: /run/systemd/system exists; for --user
    /// also the user manager's runtime directory). In containers and chroots it does not, and units are only written.
    /// </summary>
    public static bool IsRunning(bool user, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        if (!Directory.Exists("/run/systemd/system")) return false;
        return !user || (variable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Directory.Exists(Path.Combine(runtime, "systemd")));
    }

    /// <summary>The command line a person would type, for messages.</summary>
    public string Describe(params string[] arguments) => "systemctl " + (user ? "--user " : "") + string.Join(' ', arguments);

    /// <summary>Runs systemctl; a non-zero exit is a <see cref="CairnException"/> quoting its error.</summary>
    public async Task<string> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo("systemctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (user) start.ArgumentList.Add("--user");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CairnException("systemctl could not be started", ExitCode.Failure);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CairnException($"systemctl could not be started: {e.Message}", ExitCode.Failure, e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var stderr = (await error.ConfigureAwait(false)).Trim();
            if (process.ExitCode != 0)
                throw new CairnException($"{Describe([.. arguments])} failed (exit {process.ExitCode}): {stderr.Split('\n')[0]}", ExitCode.Failure);
            return await output.ConfigureAwait(false);
        }
    }
}
