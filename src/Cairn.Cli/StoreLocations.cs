using Cairn.Storage;
using Cairn.Storage.Azure;
using Cairn.Storage.Sftp;

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

    /// <summary>The location for messages, lock files and JSON output: URLs lose their user and password.</summary>
    public static string Display(string location) => RestLocations.Redact(location);

    /// <summary>Opens the store for <paramref name="location"/>; nothing is contacted until the first operation.</summary>
    public static IBlobStore Open(string location, TransferOptions transfer, CliEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        ArgumentNullException.ThrowIfNull(env);
        if (env.StoreOverride is { } testStore) return testStore(location);
        var prefix = s_remotePrefixes.FirstOrDefault(p => location.StartsWith(p, StringComparison.Ordinal));
        if (prefix is null) return new LocalBlobStore(location);
        IBlobStore store = prefix switch
        {
            "s3:" => env.DisposeWhenDone(Cairn.Storage.S3.S3BlobStore.Open(location, transfer, env.Get)),
            "azure:" => OpenAzure(location, transfer, env),
            "rest:" => RestLocations.OpenRest(location, transfer, env),
            "rclone:" => RestLocations.OpenRclone(location, transfer, env),
            "sftp:" => OpenSftp(location, transfer, env),
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

    private static AzureBlobStore OpenAzure(string location, TransferOptions transfer, CliEnvironment env) => new(new AzureBlobStoreOptions
    {
        Location = AzureLocation.Parse(location),
        Credentials = AzureCredentials.FromEnvironment(env.Get),
        Transfer = transfer,
    });
    private static SftpBlobStore OpenSftp(string location, TransferOptions transfer, CliEnvironment env)
    {
        var options = SftpStoreOptions.FromEnvironment(location, transfer, env.Get);
        if (options.AcceptAnyHostKey)
            env.Error.WriteLine($"cairn: warning: {SftpEnvironment.InsecureAcceptAnyHostKey} is set: the server's host key is not checked, so anyone on the network path can pose as it");
        return new SftpBlobStore(options);
    }
}
