using System.Diagnostics;
using System.Text;

namespace Cairn.Cli;

/// <summary>
/// Finds a repository's password: its password-file option, then $…PASSWORD_FILE, $…PASSWORD_COMMAND, $…PASSWORD (the
/// CAIRN_ or CAIRN_FROM_ names, by <see cref="RepositoryRole"/>), the default password file, then a prompt.
/// </summary>
internal static class Passwords
{
    public static string NoPasswordMessage(RepositoryRole role) =>
        $"no password given{(role.HasDefault ? "" : " for the " + role.Title)}: set {role.PasswordVariable} or {role.PasswordFileVariable} " +
        $"or {role.PasswordCommandVariable}, or use {role.PasswordFileOptionName}";

    /// <summary>The password, or null if none is configured and none can be prompted for.</summary>
    public static byte[]? TryResolve(Session session, RepositoryLocation location)
    {
        var env = session.Env;
        var role = location.Role;
        if (role.PasswordFileOption is { } file) return ReadFile(file);
        if (env.Get(role.PasswordFileVariable) is { } envFile) return ReadFile(envFile);
        if (env.Get(role.PasswordCommandVariable) is { } command) return RunCommand(command, env);
        if (env.Variables.TryGetValue(role.PasswordVariable, out var password) && password is not null) return Encoding.UTF8.GetBytes(password);
        if (location.IsDefault && File.Exists(location.DefaultPasswordFile)) return ReadFile(location.DefaultPasswordFile);
        if (env.Interactive) return Prompt(session, role.HasDefault ? "enter password for repository: " : $"enter password for {role.Title} {location.Display}: ");
        return null;
    }

    public static byte[] Resolve(Session session, RepositoryLocation location) =>
        TryResolve(session, location) ?? throw new CairnException(NoPasswordMessage(location.Role), ExitCode.Usage);

    /// <summary>A new password for key add/passwd: from a file, or prompted twice.</summary>
    public static byte[] ResolveNew(Session session, string? file)
    {
        if (file is not null) return ReadFile(file);
        if (!session.Env.Interactive)
            throw new CairnException("no new password given: use --new-password-file (standard input is not a terminal)", ExitCode.Usage);
        var first = Prompt(session, "enter new password: ");
        var second = Prompt(session, "enter new password again: ");
        if (!first.AsSpan().SequenceEqual(second)) throw new CairnException("the passwords do not match", ExitCode.Usage);
        if (first.Length == 0) throw new CairnException("an empty password is not allowed", ExitCode.Usage);
        return first;
    }

    public static byte[] ReadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CairnException($"cannot read password file {path}: {e.Message}", ExitCode.Usage, e);
        }
        return Encoding.UTF8.GetBytes(FirstLine(text));
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    /// <summary>Runs a password command with /bin/sh and returns its first line of output.</summary>
    public static byte[] RunCommand(string command, CliEnvironment env)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (name, value) in env.Variables) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new CairnException($"cannot run password command: {command}", ExitCode.Usage);
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new CairnException($"the password command failed with exit code {process.ExitCode}: {command}", ExitCode.Usage);
        return Encoding.UTF8.GetBytes(FirstLine(output));
    }

    private static byte[] Prompt(Session session, string prompt)
    {
        session.Env.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0) text.Length--;
            }
            else if (key.KeyChar != '\0') text.Append(key.KeyChar);
        }
        session.Env.Error.WriteLine();
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
