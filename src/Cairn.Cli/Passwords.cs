using System.Diagnostics;
using System.Text;

namespace Cairn.Cli;

/// <summary>Finds the repository password: --password-file, $CAIRN_PASSWORD_FILE, $CAIRN_PASSWORD_COMMAND, $CAIRN_PASSWORD, then a prompt.</summary>
internal static class Passwords
{
    public const string NoPasswordMessage =
        "no password given: set CAIRN_PASSWORD or CAIRN_PASSWORD_FILE or CAIRN_PASSWORD_COMMAND, or use --password-file";

    /// <summary>The password, or null if none is configured and none can be prompted for.</summary>
    public static byte[]? TryResolve(Session session, string? fallbackFile)
    {
        var env = session.Env;
        if (session.PasswordFileOption is { } file) return ReadFile(file);
        if (env.Get("CAIRN_PASSWORD_FILE") is { } envFile) return ReadFile(envFile);
        if (env.Get("CAIRN_PASSWORD_COMMAND") is { } command) return RunCommand(command, env);
        if (env.Variables.TryGetValue("CAIRN_PASSWORD", out var password) && password is not null) return Encoding.UTF8.GetBytes(password);
        if (fallbackFile is not null && File.Exists(fallbackFile)) return ReadFile(fallbackFile);
        if (env.Interactive) return Prompt(session, "enter password for repository: ");
        return null;
    }

    public static byte[] Resolve(Session session, string? fallbackFile) =>
        TryResolve(session, fallbackFile) ?? throw new CairnException(NoPasswordMessage, ExitCode.Usage);

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

    private static byte[] RunCommand(string command, CliEnvironment env)
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
