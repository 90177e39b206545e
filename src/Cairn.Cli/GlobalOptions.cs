using System.CommandLine;

namespace Cairn.Cli;

/// <summary>Options every command accepts (restic's names), declared once on the root command.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Repository { get; } = new("--repo", "-r")
    {
        Description = "Repository location: a directory, or s3:…, azure:…, sftp:…, rest:…, rclone:… (see the README). Default: $CAIRN_REPOSITORY, else the embedded repository in $XDG_DATA_HOME/cairn/repository.",
        Recursive = true,
    };

    public Option<string?> PasswordFile { get; } = new("--password-file")
    {
        Description = "Read the repository password from the first line of this file (also $CAIRN_PASSWORD_FILE).",
        Recursive = true,
    };

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "The config file (cairn.yaml) that declares targets and jobs. Default: $CAIRN_CONFIG, else ./cairn.yaml, else /etc/cairn/cairn.yaml.",
        HelpName = "FILE",
        Recursive = true,
    };

    public Option<string?> Environment { get; } = new("--environment")
    {
        Description = "Apply this environment's overrides from the config file's environments: section (also $CAIRN_ENVIRONMENT). Default: the file's environment: key.",
        HelpName = "NAME",
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

    public Option<int?> Connections { get; } = new("--connections")
    {
        Description = "Remote repositories: how many transfers run at once (default 5). Local repositories ignore it.",
        HelpName = "N",
        Recursive = true,
    };

    public Option<string?> Timeout { get; } = new("--timeout")
    {
        Description = "Remote repositories: give up on one request after this long (e.g. 90s, 5m; default 5m) and retry it.",
        HelpName = "DURATION",
        Recursive = true,
    };

    public Option<string?> LimitUpload { get; } = new("--limit-upload")
    {
        Description = "Remote repositories: cap the upload bandwidth of all transfers together, in bytes per second " +
                      "with an optional unit (e.g. 800k, 12M). Default: unlimited.",
        HelpName = "RATE",
        Recursive = true,
    };

    public Option<string?> DataStorageClass { get; } = new("--data-storage-class")
    {
        Description = "S3 and Azure: the storage class or access tier for new data packs (S3: STANDARD, STANDARD_IA, " +
                      "GLACIER_IR, GLACIER, DEEP_ARCHIVE; Azure: Hot, Cool, Cold, Archive). Index, snapshots, keys and " +
                      "locks always stay in the hot class, so backup and forget never read cold data. Also $CAIRN_DATA_STORAGE_CLASS.",
        HelpName = "CLASS",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Add(Connections);
        root.Add(Timeout);
        root.Add(LimitUpload);
        root.Add(DataStorageClass);
        root.Add(Repository);
        root.Add(PasswordFile);
        root.Add(Config);
        root.Add(Environment);
        root.Add(RetryLock);
        root.Add(NoLock);
        root.Add(Json);
        root.Add(Quiet);
        root.Add(Verbose);
    }
}
