namespace Cairn.Storage;

/// <summary>A blob store operation failed. <see cref="IsTransient"/> says whether retrying may help.</summary>
public class StorageException : CairnException
{
    /// <summary>Creates a storage error.</summary>
    public StorageException(string message, bool isTransient, Exception? inner = null, ExitCode exitCode = ExitCode.Storage)
        : base(message, exitCode, inner) => IsTransient = isTransient;

    /// <summary>True when the same call may succeed later (timeouts, throttling, connection resets).</summary>
    public bool IsTransient { get; }
}

/// <summary>The named blob does not exist. Distinct from other failures so callers can tell "absent" from "unreadable".</summary>
public sealed class BlobNotFoundException : StorageException
{
    /// <summary>Creates a not-found error for a blob.</summary>
    public BlobNotFoundException(BlobName name, Exception? inner = null)
        : base($"{name} does not exist in the repository", isTransient: false, inner, ExitCode.NotFound) => Name = name;

    /// <summary>The blob that was asked for.</summary>
    public BlobName Name { get; }
}

/// <summary>The storage has no space left. Permanent until the operator frees space.</summary>
public sealed class StorageFullException : StorageException
{
    /// <summary>Creates a storage-full error.</summary>
    public StorageFullException(string where, Exception? inner = null)
        : base($"no space left on {where}: free some space and run the command again (the repository is unchanged by the failed write)",
            isTransient: false, inner, ExitCode.StorageFull) { }
}

/// <summary>The storage service could not be reached at all (refused, unresolvable, timed out), even after retrying.</summary>
public sealed class StorageUnreachableException : StorageException
{
    /// <summary>Creates an unreachable error; <paramref name="where"/> names the endpoint, never its credentials.</summary>
    public StorageUnreachableException(string where, string cause, bool isTransient = true, Exception? inner = null)
        : base($"cannot reach {where}: {cause}: check the address and that the service is running", isTransient, inner, ExitCode.StorageUnreachable) { }
}

/// <summary>The storage service rejected the credentials or denied the operation. Retrying does not help.</summary>
public sealed class StorageAccessDeniedException : StorageException
{
    /// <summary>Creates an access-denied error; <paramref name="hint"/> says where the credentials come from.</summary>
    public StorageAccessDeniedException(string where, string hint, Exception? inner = null)
        : base($"{where} refused the credentials: {hint}", isTransient: false, inner, ExitCode.StorageAccessDenied) { }
}

/// <summary>The bucket, container or remote directory that should hold the repository does not exist.</summary>
public sealed class StorageLocationNotFoundException : StorageException
{
    /// <summary>Creates a missing-location error (exit code 10: there is no repository there).</summary>
    public StorageLocationNotFoundException(string message, Exception? inner = null)
        : base(message, isTransient: false, inner, ExitCode.RepositoryNotFound) { }
}
