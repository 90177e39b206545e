using System.Net.Sockets;
using Renci.SshNet.Common;

namespace Cairn.Storage.Sftp;

/// <summary>Turns SSH.NET's and the socket layer's exceptions into storage errors that say whether retrying may help.</summary>
internal static class SftpErrors
{
    /// <summary>True for the socket errors that mean "nobody answers there": refused, unresolvable, unroutable, timed out.</summary>
    public static bool IsUnreachable(SocketException e) => e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostNotFound
        or SocketError.TryAgain or SocketError.NoData or SocketError.HostUnreachable or SocketError.NetworkUnreachable
        or SocketError.TimedOut or SocketError.HostDown or SocketError.NetworkDown;

    /// <summary>A short cause for an unreachable server.</summary>
    public static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "the host name does not resolve",
        SocketError.TimedOut => "the connection timed out",
        _ => e.Message,
    };

    /// <summary>True when the exception means the session's connection is gone, so a fresh one may succeed.</summary>
    public static bool IsConnectionLost(Exception e) =>
        e is SshConnectionException or SocketException or ObjectDisposedException or IOException
        || (e is SshException && e is not SftpException && e is not SshOperationTimeoutException && e is not SshAuthenticationException)
        // SSH.NET reports a session that died under it as InvalidOperationException: "Client not connected." or, when the
        // server went away mid-operation, "The session is not open." (seen when sshd was killed during a backup).
        || (e is InvalidOperationException && (e.Message.Contains("not connected", StringComparison.OrdinalIgnoreCase)
                                              || e.Message.Contains("session is not open", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// The storage error for a failed <paramref name="operation"/> ("read", "write", …) on <paramref name="path"/>;
    /// null for exceptions that are not storage failures (bugs), which the caller lets through.
    /// </summary>
    public static StorageException? Map(Exception e, string server, string operation, string path, TimeSpan timeout) => e switch
    {
        StorageException storage => storage,
        SftpPermissionDeniedException => new StorageException(
            $"{server} denied permission to {operation} {path}: check the directory's owner and mode on the server",
            isTransient: false, e, ExitCode.StorageAccessDenied),
        SftpException sftp => new StorageException($"{server} could not {operation} {path}: {sftp.Message}", isTransient: false, e),
        SshOperationTimeoutException => new StorageException(
            $"{server} did not answer within {timeout.TotalSeconds:0.#}s while trying to {operation} {path}", isTransient: true, e),
        SocketException socket when IsUnreachable(socket) => new StorageUnreachableException(server, Describe(socket), inner: e),
        _ when IsConnectionLost(e) => new StorageException(
            $"the connection to {server} was lost while trying to {operation} {path}: {e.Message}", isTransient: true, e),
        _ => null,
    };
}
