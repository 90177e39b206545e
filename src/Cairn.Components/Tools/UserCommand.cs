namespace Cairn.Components.Tools;

/// <summary>
/// A command the user wrote in the config (a hook, a <c>command</c> component's dump or restore command) as an
/// argument list: run without a shell, so nothing in it is expanded unless the user writes <c>[sh, -c, "…"]</c>.
/// </summary>
public static class UserCommand
{
    /// <summary>
    /// The tool command for <paramref name="argv"/>. An empty list or a program not on PATH is a component failure
    /// naming <paramref name="role"/> ("pre_hook", "command"), since there is no package to suggest.
    /// </summary>
    public static ToolCommand Create(IReadOnlyList<string> argv, string role, bool stderrErrorsFail)
    {
        if (argv.Count == 0 || string.IsNullOrEmpty(argv[0]))
            throw new ComponentFailedException($"{role} is empty: give the program and its arguments as a list, e.g. [pg_dumpall, -g]");
        if (ToolRunner.Find(argv[0]) is null)
            throw new ComponentFailedException($"{role}: '{argv[0]}' was not found" + (argv[0].Contains('/', StringComparison.Ordinal) ? "" : " on PATH"));
        return new ToolCommand
        {
            Program = argv[0],
            Arguments = [.. argv.Skip(1)],
            DebianPackage = "(none: a user command)",
            IsErrorLine = stderrErrorsFail ? ToolCommand.DefaultIsErrorLine : static _ => false,
        };
    }

    /// <summary>
    /// Runs <paramref name="run"/> with a deadline: past <paramref name="timeout"/> the command is killed and the
    /// component fails saying so (the caller's own cancellation still cancels).
    /// </summary>
    public static async Task WithTimeoutAsync(string role, TimeSpan timeout, Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await run(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ComponentFailedException($"{role} did not finish within {timeout} and was stopped");
        }
    }
}
