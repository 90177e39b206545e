using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Amazon.Runtime;
using Amazon.S3;

namespace Cairn.Storage.S3;

/// <summary>
/// Turns what the AWS SDK and the network throw into Cairn's storage errors: missing blob or bucket, refused
/// credentials, unreachable service, and transient versus permanent failures. Messages name the location and where the
/// credentials came from, never the credentials themselves.
/// </summary>
internal sealed class S3Errors(S3Location location, string endpointDescription, string credentialSource, TimeSpan requestTimeout)
{
    private static readonly HashSet<string> s_credentialCodes = new(StringComparer.Ordinal)
    {
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
        "InvalidClientTokenId", "AllAccessDisabled", "AccountProblem", "InvalidSecurity",
    };

    // Throttling, server trouble, and a body that arrived damaged (the retry re-reads it from the spool file).
    private static readonly HashSet<string> s_transientCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "OperationAborted", "BadDigest", "IncompleteBody",
        "Throttling", "ThrottlingException", "RequestThrottled", "TooManyRequests",
    };

    // A region other than the bucket's: S3 redirects or rejects the signature's region.
    private static readonly HashSet<string> s_regionCodes = new(StringComparer.Ordinal)
    {
        "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException",
    };

    /// <summary>The error a failed <paramref name="operation"/> (e.g. "read", "write") on <paramref name="name"/> raises.</summary>
    /// <param name="error">What the SDK threw.</param>
    /// <param name="operation">A verb for the message.</param>
    /// <param name="name">The blob, or null for bucket-level calls (list, create bucket).</param>
    /// <param name="cancellationToken">The caller's token: if it fired, the cancellation itself is what to rethrow.</param>
    public Exception Map(Exception error, string operation, BlobName? name, CancellationToken cancellationToken)
    {
        if (error is OperationCanceledException && cancellationToken.IsCancellationRequested) return error;
        if (error is CairnException) return error;
        var what = name is { } blob ? $"{operation} {blob}" : operation;
        if (error is AmazonS3Exception s3) return MapService(s3, s3.ErrorCode, s3.StatusCode, what, name);
        if (error is AmazonServiceException service && service.StatusCode != 0 && FindNetworkCause(error) is null)
            return MapService(service, service.ErrorCode, service.StatusCode, what, name);
        if (FindNetworkCause(error) is { } network) return MapNetwork(network, what);
        if (IsConnectTimeout(error))
            return new StorageUnreachableException(endpointDescription, "connecting timed out (nothing answered)", inner: error);
        if (error is OperationCanceledException or TimeoutException)
            return new StorageException($"{location.Text}: {what} timed out after {Format(requestTimeout)} (raise --timeout on slow links)", isTransient: true, error);
        if (error is IOException)
            return new StorageException($"{location.Text}: {what} failed: {error.Message}", isTransient: true, error);
        if (error is AmazonClientException && error.Message.Contains("credential", StringComparison.OrdinalIgnoreCase))
            return new StorageAccessDeniedException(location.Text,
                $"no AWS credentials were found ({credentialSource}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE", error);
        return new StorageException($"{location.Text}: {what} failed: {error.GetType().Name}: {error.Message}", isTransient: false, error);
    }

    /// <summary>A missing bucket: the repository cannot be there; init creates it.</summary>
    public StorageLocationNotFoundException BucketMissing(Exception? inner) =>
        new($"the bucket '{location.Bucket}' does not exist at {endpointDescription}: 'cairn init' creates it, or check the location ({location.Text})", inner);

    private StorageAccessDeniedException AccessDenied(string code, Exception? inner) =>
        new(location.Text, $"{code} with the credentials from {credentialSource}: check the access key and secret, " +
                           $"and that they may use bucket '{location.Bucket}'", inner);

    private Exception MapService(Exception error, string? code, HttpStatusCode status, string what, BlobName? name)
    {
        code ??= "";
        if (code == "NoSuchKey" && name is { } missing) return new BlobNotFoundException(missing, error);
        if (code == "NoSuchBucket") return BucketMissing(error);
        // A 403 too, but no key will fix it: SigV4 signatures hold the time, and S3 allows 15 minutes either way.
        if (code == "RequestTimeTooSkewed")
            return new StorageException($"{location.Text}: {what} failed: this machine's clock is more than 15 minutes off the " +
                "service's (RequestTimeTooSkewed): set the clock (NTP)", isTransient: false, error);
        if (s_credentialCodes.Contains(code) || status == HttpStatusCode.Forbidden)
            return AccessDenied(code is "" or "Forbidden" ? "HTTP 403 Forbidden" : code, error);
        if (s_regionCodes.Contains(code) || status is HttpStatusCode.MovedPermanently or HttpStatusCode.TemporaryRedirect)
            return new StorageException($"{location.Text}: {what} failed: the bucket is in another region than the one used " +
                $"({code}): set AWS_REGION to the bucket's region", isTransient: false, error);
        if (code == "InvalidRange")
            return new StorageException($"{location.Text}: {what} failed: the range is beyond the end of the blob", isTransient: false, error);
        var transient = s_transientCodes.Contains(code) || (int)status >= 500 || status == HttpStatusCode.TooManyRequests;
        var detail = code.Length > 0 ? $"{code}: {error.Message}" : $"HTTP {(int)status}";
        return new StorageException($"{location.Text}: {what} failed: {detail}", transient, error);
    }

    private StorageException MapNetwork(Exception cause, string what)
    {
        // Refused, unresolvable or unroutable: nothing answered at all. Anything after a connection existed (reset,
        // truncated answer) is an ordinary transient failure of that request.
        if (cause is SocketException socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new StorageUnreachableException(endpointDescription, "connection refused", inner: socket),
                SocketError.HostNotFound or SocketError.NoData => new StorageUnreachableException(endpointDescription, "host name not found", inner: socket),
                SocketError.TryAgain => new StorageUnreachableException(endpointDescription, "host name could not be resolved now", inner: socket),
                SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.NetworkDown =>
                    new StorageUnreachableException(endpointDescription, "no route to the host", inner: socket),
                SocketError.TimedOut => new StorageUnreachableException(endpointDescription, "connecting timed out", inner: socket),
                _ => new StorageException($"{location.Text}: {what} failed: {socket.Message}", isTransient: true, socket),
            };
        }

        if (cause is AuthenticationException tls)
            return new StorageUnreachableException(endpointDescription, "the TLS handshake failed (" + tls.Message + ")", isTransient: false, inner: tls);
        var request = (HttpRequestException)cause;
        return request.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => new StorageUnreachableException(endpointDescription, "host name not found", inner: request),
            HttpRequestError.ConnectionError => new StorageUnreachableException(endpointDescription, "could not connect", inner: request),
            HttpRequestError.SecureConnectionError =>
                new StorageUnreachableException(endpointDescription, "the TLS handshake failed", isTransient: false, inner: request),
            _ => new StorageException($"{location.Text}: {what} failed: {request.Message}", isTransient: true, request),
        };
    }

    // The most specific network-level cause: a socket error beats the HttpRequestException that wraps it.
    private static Exception? FindNetworkCause(Exception error)
    {
        Exception? found = null;
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException or AuthenticationException) return e;
            if (e is HttpRequestException && found is null) found = e;
        }

        return found;
    }

    // SocketsHttpHandler reports its ConnectTimeout as a cancellation whose inner TimeoutException says so; a timeout
    // after connecting (HttpClient.Timeout) has no such inner exception.
    private static bool IsConnectTimeout(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException && e.Message.Contains("ConnectTimeout", StringComparison.Ordinal)) return true;
        }

        return false;
    }

    private static string Format(TimeSpan span) => span.TotalSeconds < 120 ? $"{span.TotalSeconds:0.#}s" : $"{span.TotalMinutes:0.#}m";
}
