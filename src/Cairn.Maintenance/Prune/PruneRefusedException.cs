namespace Cairn.Maintenance.Prune;

/// <summary>
/// Prune will not run because the repository has missing or damaged data: deleting anything could make the damage
/// worse or hide it. Carries one message per problem found (the first few).
/// </summary>
public sealed class PruneRefusedException : CairnException
{
    /// <summary>Creates the refusal for the given problems.</summary>
    public PruneRefusedException(IReadOnlyList<string> problems, int totalProblems)
        : base($"prune refused: the repository has missing or damaged data ({totalProblems} problem{(totalProblems == 1 ? "" : "s")}, " +
               $"first: {(problems.Count > 0 ? problems[0] : "unknown")}); nothing was deleted: run 'cairn check' and 'cairn repair index'", ExitCode.Integrity)
    {
        Problems = problems;
        TotalProblems = totalProblems;
    }

    /// <summary>The first few problems, one line each.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>How many problems there are in all.</summary>
    public int TotalProblems { get; }
}
