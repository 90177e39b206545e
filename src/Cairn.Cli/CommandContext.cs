using System.CommandLine;

namespace Cairn.Cli;

/// <summary>What command factories need: the environment and the global options, to build a <see cref="Session"/> per run.</summary>
internal sealed class CommandContext(CliEnvironment env, GlobalOptions globals)
{
    /// <summary>Sets a command's action: it runs with a session and returns an exit code; errors propagate to <see cref="ErrorReporter"/>.</summary>
    public void SetAction(Command command, Func<Session, CancellationToken, Task<int>> action) =>
        command.SetAction((parse, cancellationToken) => action(new Session(env, globals, parse), cancellationToken));
}
