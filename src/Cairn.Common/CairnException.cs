namespace Cairn;

/// <summary>Process exit codes, one per kind of outcome, documented in README.md.</summary>
public enum ExitCode
{
    /// <summary>Everything asked for was done.</summary>
    Success = 0,
    /// <summary>An unexpected failure (a bug, or an error with no more specific code).</summary>
    Failure = 1,
    /// <summary>The command line or a configuration file is malformed.</summary>
    Usage = 2,
    /// <summary>The backup finished, but some files could not be read or changed while being read.</summary>
    Partial = 3,
    /// <summary>No repository exists at the given location, or it is not a Cairn repository.</summary>
    RepositoryNotFound = 10,
    /// <summary>The repository is locked by another operation.</summary>
    Locked = 11,
    /// <summary>No key file of the repository opens with the given password.</summary>
    WrongPassword = 12,
    /// <summary>The repository uses a format version this build cannot read.</summary>
    UnsupportedVersion = 13,
    /// <summary>Stored data is damaged: a checksum or authentication tag did not match.</summary>
    Integrity = 14,
    /// <summary>The storage ran out of space.</summary>
    StorageFull = 15,
    /// <summary>The storage could not be read or written (unreachable, permission denied, I/O error).</summary>
    Storage = 16,
    /// <summary>A named snapshot, file or key does not exist.</summary>
    NotFound = 17,
    /// <summary>The storage could not be reached (connection refused, DNS failure, timeout) after retrying.</summary>
    StorageUnreachable = 18,
    /// <summary>The storage refused the credentials (bad key or password, expired token, no permission).</summary>
    StorageAccessDenied = 19,
    /// <summary>Data the command must read is in an archive storage class and must be thawed first.</summary>
    ColdStorage = 20,
    /// <summary>A component of a job failed (its dump tool or API call failed, or the tool is missing); the snapshot is recorded as failed.</summary>
    ComponentFailed = 21,
    /// <summary>A job run stopped at its max_duration or at shutdown; what it stored is kept in an incomplete snapshot and the next run continues from it.</summary>
    Incomplete = 22,
    /// <summary>cairn status: a job with an rpo is past it (its last success is older, or it has none).</summary>
    Stale = 23,
    /// <summary>The operation was interrupted (Ctrl-C or SIGTERM).</summary>
    Interrupted = 130,
}

/// <summary>An expected error: its message is shown to the user as one line, and it maps to an exit code.</summary>
public class CairnException : Exception
{
    /// <summary>Creates an error with a user-facing message and exit code.</summary>
    public CairnException(string message, ExitCode exitCode, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    /// <summary>The exit code the CLI returns for this error.</summary>
    public ExitCode ExitCode { get; }
}

/// <summary>Stored data failed verification: names the damaged object so the user can act on it.</summary>
public sealed class IntegrityException : CairnException
{
    /// <summary>Creates an integrity error for the named object.</summary>
    public IntegrityException(string objectDescription, string problem, Exception? inner = null)
        : base($"{objectDescription} is damaged: {problem}", ExitCode.Integrity, inner) => ObjectDescription = objectDescription;

    /// <summary>What is damaged, e.g. "pack 3fa2… blob 9c1e… (data)".</summary>
    public string ObjectDescription { get; }
}
