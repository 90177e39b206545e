namespace Cairn.Orchestration.Config;

/// <summary>One problem in a config file, at the line and column (both 1-based) where it is.</summary>
public sealed record ConfigProblem(string File, int Line, int Column, string Message)
{
    /// <summary>The compiler-style form users see: <c>file:line:col: message</c>.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>A config file with problems: every one found, in file order, one per line in <see cref="Exception.Message"/>.</summary>
public sealed class ConfigException : CairnException
{
    /// <summary>Creates the error for a non-empty list of problems.</summary>
    public ConfigException(IReadOnlyList<ConfigProblem> problems)
        : base(string.Join('\n', problems), ExitCode.Usage) => Problems = problems;

    /// <summary>The problems, in file order.</summary>
    public IReadOnlyList<ConfigProblem> Problems { get; }
}
