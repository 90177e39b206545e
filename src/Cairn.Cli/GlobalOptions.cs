using System.CommandLine;

namespace Cairn.Cli;

/// <summary>Options every command accepts (restic's names), declared once on the root command.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Repository { get; } = new("--repo", "-r")
    {
        Description = "Repository location (a directory). Default: $CAIRN_REPOSITORY, else the embedded repository in $XDG_DATA_HOME/cairn/repository.",
        Recursive = true,
    };

    public Option<string?> PasswordFile { get; } = new("--password-file")
    {
        Description = "Read the repository password from the first line of this file (also $CAIRN_PASSWORD_FILE).",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json") { Description = "Print machine-readable JSON on stdout.", Recursive = true };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only errors and warnings.", Recursive = true };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Print more detail (and stack traces of internal errors).", Recursive = true };

    public Option<string?> RetryLock { get; } = new("--retry-lock")
    {
        Description = "When the repository is locked by another operation, keep trying for this long (e.g. 30s, 5m, 1h30m) instead of failing with exit code 11.",
        HelpName = "DURATION",
        Recursive = true,
    };

    public Option<bool> NoLock { get; } = new("--no-lock")
    {
        Description = "Take no lock for commands that only read (restore, dump, check), so they work on a read-only " +
                      "repository (a read-only mount, a read-only cloud credential). A prune running meanwhile may then " +
                      "remove data they are reading. Commands that write always lock.",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Add(Repository);
        root.Add(PasswordFile);
        root.Add(RetryLock);
        root.Add(NoLock);
        root.Add(Json);
        root.Add(Quiet);
        root.Add(Verbose);
    }
}
