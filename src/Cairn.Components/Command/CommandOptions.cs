namespace Cairn.Components.Command;

/// <summary>Options of a <c>command</c> component: a command whose standard output is the backup.</summary>
public sealed record CommandOptions : ComponentOptions
{
    /// <summary>The program and its arguments (no shell: write <c>[sh, -c, "a | b"]</c> for one).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The name of the stored file (a relative path) in the component's directory.</summary>
    public string FileName { get; init; } = "stdout";

    /// <summary>A command fed the stored file on its standard input by <c>cairn restore --component</c>; empty: restore only with --to-file.</summary>
    public IReadOnlyList<string> RestoreCommand { get; init; } = [];

    /// <summary>How long the command may run before it is stopped (and the component fails).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Whether a line containing "error" or "fatal" on its standard error fails the component even when it exits 0.</summary>
    public bool FailOnStderrError { get; init; } = true;
}
