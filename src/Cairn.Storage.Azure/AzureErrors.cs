using System.Net.Http;
using System.Net.Sockets;
using Azure;

namespace Cairn.Storage.Azure;

/// <summary>
/// Turns what the Azure SDK throws into Cairn's storage errors: missing blob, missing container (exit 10), refused
/// credentials (exit 19), unreachable service (exit 18), transient (5xx, throttling, timeouts, resets) or permanent.
/// Messages are built from status codes and error codes only, never from the SDK's message (which quotes headers).
/// </summary>
internal sealed class AzureErrors(AzureLocation location, string endpoint, string refusalHint)
{
    /// <summary>What the error messages call the service endpoint: scheme, host, port and path, never a query (a SAS).</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>
    /// Maps <paramref name="error"/> from an operation on <paramref name="name"/> (null for container-level calls).
    /// Returns null for exceptions that are not the service's or the network's (bugs, caller cancellation), which
    /// the caller rethrows unchanged.
    /// </summary>
    public StorageException? Map(Exception error, string operation, BlobName? name, CancellationToken cancellationToken)
    {
        switch (error)
        {
            case StorageException storage:
                return storage;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case OperationCanceledException:
                // Azure.Core's network timeout surfaces as a cancellation the caller did not ask for.
                return new StorageException($"Azure {Describe(operation, name)} timed out at {Endpoint}", isTransient: true, error);
            case AggregateException { InnerExceptions.Count: > 0 } aggregate:
                // Download streams report their (zero) retries as an aggregate of the failures.
                return Map(aggregate.InnerExceptions[^1], operation, name, cancellationToken);
            case RequestFailedException { Status: 0 } failed:
                return MapTransport(failed.InnerException ?? failed, operation, name);
            case RequestFailedException failed:
                return MapStatus(failed, operation, name);
            case HttpRequestException or IOException or SocketException:
                return MapTransport(error, operation, name);
            default:
                return null;
        }
    }

    /// <summary>The message for a container that does not exist.</summary>
    public StorageLocationNotFoundException ContainerMissing(Exception? inner) => new(
        $"the Azure container '{location.Container}' does not exist at {Endpoint}: `cairn init` creates it", inner);

    private StorageException MapStatus(RequestFailedException e, string operation, BlobName? name)
    {
        var code = e.ErrorCode ?? "";
        if (code == "ContainerNotFound") return ContainerMissing(e);
        if (e.Status == 404 && name is { } missing && code is "BlobNotFound" or "") return new BlobNotFoundException(missing, e);
        if (e.Status is 401 or 403)
        {
            return new StorageAccessDeniedException($"Azure Blob Storage at {Endpoint} ({location})",
                $"{e.Status} {code}: {refusalHint}", e);
        }

        var transient = e.Status is 408 or 429 or >= 500
            || code is "ServerBusy" or "OperationTimedOut" or "InternalError" or "ContainerBeingDeleted"
            // The service hashed different bytes than were sent: corrupted in flight, so sending again may succeed.
            || code is "Md5Mismatch" or "Crc64Mismatch";
        var status = code.Length > 0 ? $"{e.Status} {code}" : e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new StorageException($"Azure {Describe(operation, name)} failed at {Endpoint}: {status}", transient, e);
    }

    private StorageException MapTransport(Exception e, string operation, BlobName? name)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound
                    or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TryAgain or SocketError.NoData } socket)
            {
                return new StorageUnreachableException($"Azure Blob Storage at {Endpoint}", Cause(socket.SocketErrorCode), inner: e);
            }
        }

        // The connection broke after it was made (reset, closed mid-response): the service may be restarting.
        return new StorageException($"Azure {Describe(operation, name)} lost its connection to {Endpoint}", isTransient: true, e);
    }

    private static string Cause(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host name not found",
        _ => "network unreachable",
    };

    private static string Describe(string operation, BlobName? name) => name is { } n ? $"{operation} of {n}" : operation;
}
