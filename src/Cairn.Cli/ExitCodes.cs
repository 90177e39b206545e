namespace Cairn.Cli;

/// <summary>The exit code table shown by --help; the single source the README copies.</summary>
internal static class ExitCodes
{
    public static readonly IReadOnlyList<(ExitCode Code, string Meaning)> Table =
    [
        (ExitCode.Success, "success"),
        (ExitCode.Failure, "unexpected failure (internal error)"),
        (ExitCode.Usage, "bad command line, or an operation refused (e.g. init over an existing repository)"),
        (ExitCode.Partial, "backup finished, but some files could not be read (see the warnings)"),
        (ExitCode.RepositoryNotFound, "no repository at the given location (also: the bucket or container does not exist), or it is not a Cairn repository"),
        (ExitCode.Locked, "the repository is locked by another operation, or this operation lost its lock"),
        (ExitCode.WrongPassword, "wrong password: no key of the repository opens with it"),
        (ExitCode.UnsupportedVersion, "the repository's format version is newer than this cairn"),
        (ExitCode.Integrity, "damaged or missing data: check found damage, or restore, prune or repair met it (each names the blobs and files)"),
        (ExitCode.StorageFull, "the storage is full"),
        (ExitCode.Storage, "the storage could not be read or written"),
        (ExitCode.NotFound, "a named snapshot, path or key does not exist"),
        (ExitCode.StorageUnreachable, "the storage could not be reached (connection refused, name not resolved, timed out) after retrying"),
        (ExitCode.StorageAccessDenied, "the storage refused the credentials (wrong key or password, expired token, no permission)"),
        (ExitCode.ColdStorage, "data the command needs is in an archive class (S3 Glacier, Azure Archive): run it again with --thaw, or later when a thaw finished"),
        (ExitCode.ComponentFailed, "a component of the job failed (dump tool or API error, server unreachable, tool missing): the snapshot is recorded as failed"),
        (ExitCode.Incomplete, "a job run stopped at its max_duration or on SIGTERM: what it stored is kept (an incomplete snapshot) and the next run goes on from it"),
        (ExitCode.Stale, "cairn status: a job is past its rpo (no successful backup within it, or none at all)"),
        (ExitCode.Interrupted, "interrupted (Ctrl-C or SIGTERM)"),
    ];

    public static string Describe() =>
        "Exit codes:\n" + string.Join("\n", Table.Select(e => $"  {(int)e.Code,3}  {e.Meaning}"));
}
