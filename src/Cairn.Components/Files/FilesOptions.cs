namespace Cairn.Components.Files;

/// <summary>Options of a <c>files</c> component: file trees, excludes, and commands run around the backup.</summary>
public sealed record FilesOptions : ComponentOptions
{
    /// <summary>Files and directories to back up (absolute paths).</summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>Patterns of paths to leave out, as <c>cairn backup --exclude</c> takes them.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>A command run before the backup (program and arguments, no shell), e.g. to quiesce an application; its failure fails the component.</summary>
    public IReadOnlyList<string> PreHook { get; init; } = [];

    /// <summary>A command run after the backup, whatever happened (e.g. to resume the application); its failure is a warning.</summary>
    public IReadOnlyList<string> PostHook { get; init; } = [];

    /// <summary>How long each hook may run before it is stopped (and counts as failed).</summary>
    public TimeSpan HookTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
