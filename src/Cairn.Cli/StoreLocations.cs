using Cairn.Storage;

namespace Cairn.Cli;

/// <summary>
/// Turns a repository location string (restic's syntax) into the blob store that serves it: "s3:…", "azure:…",
/// "sftp:…", "rest:…", "rclone:…", or else a local path. Each remote kind parses the rest of the string itself and
/// reads its credentials from the environment the CLI was given (never from the process's own, so tests stay isolated).
/// </summary>
internal static class StoreLocations
{
    /// <summary>The location kinds, by prefix; a string with none of them is a local path.</summary>
    private static readonly string[] s_remotePrefixes = ["s3:", "azure:", "sftp:", "rest:", "rclone:"];

    /// <summary>True when <paramref name="location"/> names a remote store rather than a path.</summary>
    public static bool IsRemote(string location) => s_remotePrefixes.Any(p => location.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The canonical form used in messages and for "same repository?" checks: local paths made absolute.</summary>
    public static string Normalize(string location) => IsRemote(location) ? location : Path.GetFullPath(location);

    /// <summary>Opens the store for <paramref name="location"/>; nothing is contacted until the first operation.</summary>
    public static IBlobStore Open(string location, TransferOptions transfer, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(env);
        var prefix = s_remotePrefixes.FirstOrDefault(p => location.StartsWith(p, StringComparison.Ordinal));
        if (prefix is null) return new LocalBlobStore(location);
        IBlobStore store = prefix switch
        {
            "s3:" => Cairn.Storage.S3.S3BlobStore.Open(location, transfer, env.Get),
            _ => throw new CairnException($"repository locations of the form '{prefix}…' are not supported by this build", ExitCode.Usage),
        };
        return WithTransferPolicies(store, transfer);
    }

    /// <summary>
    /// The decorators every remote store gets: the upload bandwidth cap inside, so retried uploads are paced too, and
    /// retries with per-attempt timeouts outside. Local stores get neither: their errors are not transient.
    /// </summary>
    public static IBlobStore WithTransferPolicies(IBlobStore store, TransferOptions transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        if (transfer.UploadBytesPerSecond is { } rate) store = new UploadLimitedBlobStore(store, new BandwidthLimiter(rate));
        return new RetryingBlobStore(store, transfer.Retry with { AttemptTimeout = transfer.RequestTimeout });
    }

    /// <summary>How the content store should use <paramref name="location"/>: remote stores get one upload per connection.</summary>
    public static Cairn.Content.ContentStoreOptions ContentOptions(string location, TransferOptions transfer) =>
        IsRemote(location) ? new Cairn.Content.ContentStoreOptions { MaxConcurrentUploads = transfer.Connections } : new Cairn.Content.ContentStoreOptions();
}
