using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Cairn.Storage.Rest;

/// <summary>
/// A blob store on a server speaking restic's REST protocol, version 2: restic's rest-server, or rclone (a
/// <c>rest:</c> URL to <c>rclone serve restic</c>, or an <c>rclone:</c> location, for which the store starts rclone itself).
/// </summary>
/// <remarks>
/// Blob names map onto the protocol's paths exactly as <see cref="BlobName.Path"/> lays them out on disk: "config",
/// "keys/ID", "index/ID", "snapshots/ID", "locks/ID", and "data/ID" for packs, which the server itself stores as
/// data/XX/ID. A repository written through a REST server over a directory is therefore byte for byte a local
/// repository, and the other way round. The protocol carries no checksum; the transport (TCP, TLS) and Cairn's own
/// authenticated encryption (every blob is checked when read, and by <c>cairn check --read-data</c>) cover integrity.
/// </remarks>
public sealed class RestBlobStore : IBlobStore, IContainerStore
{
    private const string V2MediaType = "application/vnd.x.restic.rest.v2";

    private readonly RestTransport _transport;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly bool _hasCredentials;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _slots;

    /// <summary>A store on the REST server at <paramref name="endpoint"/>; nothing is contacted until the first operation.</summary>
    public RestBlobStore(RestEndpoint endpoint, TransferOptions transfer)
        : this(new HttpTransport(endpoint?.BaseUri ?? throw new ArgumentNullException(nameof(endpoint)), transfer ?? throw new ArgumentNullException(nameof(transfer))),
            endpoint.Location, endpoint.Credentials, transfer)
    {
    }

    private RestBlobStore(RestTransport transport, string location, RestCredentials? credentials, TransferOptions transfer)
    {
        _transport = transport;
        Location = location;
        _hasCredentials = credentials is not null;
        if (credentials is not null)
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.User + ":" + credentials.Password));
            _authorization = new AuthenticationHeaderValue("Basic", token);
        }

        _timeout = transfer.RequestTimeout;
        _slots = new SemaphoreSlim(transfer.Connections, transfer.Connections);
    }

    /// <summary>
    /// A store served by an <c>rclone serve restic --stdio</c> child for <paramref name="options"/>' remote. rclone is
    /// started by the first operation and stopped when the store is disposed.
    /// </summary>
    public static RestBlobStore ForRclone(RcloneOptions options, TransferOptions transfer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transfer);
        return new RestBlobStore(new RcloneTransport(options), options.Location, credentials: null, transfer);
    }

    /// <inheritdoc/>
    public string Location { get; }

    /// <inheritdoc/>
    public Task PutAsync(BlobName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        return SendAsync(name, "write", () => Post(path, new ReadOnlyMemoryContent(data)), ExpectSuccess(name, "write"), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task PutAsync(BlobName name, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        if (!content.CanSeek)
        {
            var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            await PutAsync(name, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
            return;
        }

        // Sent with its Content-Length, so a body cut short is an error on the server, never a shorter blob.
        var start = content.Position;
        await SendAsync(name, "write", () => Post(path, new StreamSliceContent(content, start)), ExpectSuccess(name, "write"), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task<byte[]> GetAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        return SendAsync(name, "read", () => new HttpRequestMessage(HttpMethod.Get, path), async (response, ct) =>
        {
            ThrowUnlessSuccess(response, name, "read");
            var length = response.Content.Headers.ContentLength;
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                if (length is { } known and <= int.MaxValue)
                {
                    var data = new byte[known];
                    await stream.ReadExactlyAsync(data, ct).ConfigureAwait(false);
                    return data;
                }

                var buffer = new MemoryStream();
                await stream.CopyToAsync(buffer, ct).ConfigureAwait(false);
                return buffer.ToArray();
            }
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task ReadRangeAsync(BlobName name, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var path = PathOf(name);
        if (destination.Length == 0)
        {
            // An empty range is not expressible in a Range header; it only needs the blob to exist and be long enough.
            var info = await StatAsync(name, cancellationToken).ConfigureAwait(false);
            if (offset > info.Length) throw TooShort(name, offset, 0, info.Length - offset);
            return;
        }

        await SendAsync(name, "read", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Range = new RangeHeaderValue(offset, offset + destination.Length - 1);
            return request;
        }, async (response, ct) =>
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) throw TooShort(name, offset, destination.Length, 0);
            ThrowUnlessSuccess(response, name, "read");
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                // A server that ignores Range answers 200 with the whole blob: skip to the offset.
                long skip = response.StatusCode == HttpStatusCode.PartialContent ? 0 : offset;
                if (skip > 0 && await SkipAsync(stream, skip, ct).ConfigureAwait(false) < skip) throw TooShort(name, offset, destination.Length, 0);
                var read = await stream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (read < destination.Length) throw TooShort(name, offset, destination.Length, read);
            }

            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task<BlobInfo> StatAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        return SendAsync(name, "stat", () => new HttpRequestMessage(HttpMethod.Head, path), (response, _) =>
        {
            ThrowUnlessSuccess(response, name, "stat");
            var length = response.Content.Headers.ContentLength
                ?? throw new StorageException($"{Location} gave no length for {name}", isTransient: false);
            return Task.FromResult(new BlobInfo(name, length));
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(BlobKind kind, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (kind == BlobKind.Config)
        {
            // The protocol lists folders; the config is a single file, present or not.
            if (await this.TryStatAsync(BlobName.Config, cancellationToken).ConfigureAwait(false) is { } found) yield return found;
            yield break;
        }

        var folder = FolderOf(kind);
        var listed = await SendAsync(new BlobName(kind, "*"), "list", () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, folder);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(V2MediaType));
            return request;
        }, async (response, ct) =>
        {
            // rest-server answers 404 for a type folder that was never created: nothing of that kind yet.
            if (response.StatusCode == HttpStatusCode.NotFound) return [];
            ThrowUnlessSuccess(response, new BlobName(kind, "*"), "list");
            if (response.Content.Headers.ContentType?.MediaType != V2MediaType)
            {
                throw new StorageException(
                    $"{Location} does not speak version 2 of the REST protocol (listings without sizes): use rest-server 0.9.7 or later, or rclone",
                    isTransient: false);
            }

            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                try
                {
                    using var document = await JsonDocument.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
                    return ParseListing(kind, document.RootElement);
                }
                catch (JsonException e)
                {
                    throw new StorageException($"{Location} sent a listing of {folder} that is not valid JSON: {e.Message}", isTransient: false, e);
                }
            }
        }, cancellationToken).ConfigureAwait(false);

        foreach (var info in listed) yield return info;
    }

    /// <inheritdoc/>
    public IBlobWriter CreateWriter(BlobKind kind) => new SpoolingBlobWriter(this);

    /// <inheritdoc/>
    public Task DeleteAsync(BlobName name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        cancellationToken.ThrowIfCancellationRequested();
        return SendAsync(name, "delete", () => new HttpRequestMessage(HttpMethod.Delete, path), (response, _) =>
        {
            // Deleting what is not there succeeds (the contract); rclone and rest-server both answer 404.
            if (response.StatusCode != HttpStatusCode.NotFound) ThrowUnlessSuccess(response, name, "delete");
            return Task.FromResult(0);
        }, cancellationToken);
    }

    /// <summary>
    /// Creates the repository's folders on the server (POST /?create=true), unless it already holds a config; a server
    /// that refuses (rest-server started without the right to create repositories) says so with its status.
    /// </summary>
    public async Task CreateContainerIfMissingAsync(CancellationToken cancellationToken)
    {
        // A repository is there already: init reports that itself.
        if (await this.TryStatAsync(BlobName.Config, cancellationToken).ConfigureAwait(false) is not null) return;

        var root = new BlobName(BlobKind.Config, "repository");
        await SendAsync(root, "create", () => new HttpRequestMessage(HttpMethod.Post, "?create=true"), ExpectSuccess(root, "create"), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _transport.DisposeAsync().ConfigureAwait(false);
        _slots.Dispose();
    }

    private static string PathOf(BlobName name)
    {
        BlobNameRules.ThrowIfInvalid(name);
        // The server puts packs into data/XX/ itself: the protocol addresses them as data/ID.
        return name.Kind == BlobKind.Pack ? "data/" + name.Name : name.Path;
    }

    private static string FolderOf(BlobKind kind) => kind == BlobKind.Pack ? "data/" : PathOf(new BlobName(kind, "0"))[..^1];

    private static List<BlobInfo> ParseListing(BlobKind kind, JsonElement root)
    {
        var result = new List<BlobInfo>();
        if (root.ValueKind != JsonValueKind.Array) return result;
        foreach (var item in root.EnumerateArray())
        {
            if (!item.TryGetProperty("name", out var nameElement) || nameElement.GetString() is not { } name) continue;
            var size = item.TryGetProperty("size", out var sizeElement) && sizeElement.TryGetInt64(out var s) ? s : 0;
            // Anything that is not a blob name (a server's temporary or stray file) is not a blob of this repository.
            if (name.Length < (kind == BlobKind.Pack ? 2 : 1) || !name.All(char.IsAsciiLetterOrDigit)) continue;
            result.Add(new BlobInfo(new BlobName(kind, name), size));
        }

        return result;
    }

    private static HttpRequestMessage Post(string path, HttpContent content)
    {
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    private Func<HttpResponseMessage, CancellationToken, Task<int>> ExpectSuccess(BlobName name, string operation) => (response, _) =>
    {
        ThrowUnlessSuccess(response, name, operation);
        return Task.FromResult(0);
    };

    /// <summary>
    /// Sends one request under a connection slot and the per-request timeout, hands the response to <paramref name="read"/>
    /// (still within the timeout, so a stalled body counts), and turns transport failures and the answers worth retrying
    /// (408, 429, 5xx) into storage errors.
    /// </summary>
    private async Task<T> SendAsync<T>(BlobName name, string operation, Func<HttpRequestMessage> build,
        Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_timeout);
            try
            {
                using var request = build();
                request.RequestUri = new Uri(_transport.BaseUri, request.RequestUri!);
                request.Version = _transport.HttpVersion;
                request.VersionPolicy = _transport.VersionPolicy;
                request.Headers.Authorization = _authorization;
                var logMark = _transport.ServerLogMark;
                using var response = await _transport.Client.SendAsync(request, timeout.Token).ConfigureAwait(false);
                if (response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError)
                {
                    var detail = await _transport.ServerErrorSinceAsync(logMark).ConfigureAwait(false);
                    throw new StorageException(
                        $"{Location} answered {Status(response)} to {operation} {name}{(detail is null ? "" : $" (rclone: {detail})")}", isTransient: true);
                }

                return await read(response, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new StorageUnreachableException(Location, $"no answer to {operation} {name} within {_timeout.TotalSeconds:0.#} s", inner: e);
            }
            catch (HttpRequestException e)
            {
                throw await _transport.ExplainAsync(e, Location).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                // The connection broke while a body was in flight.
                throw await _transport.ExplainAsync(e, Location).ConfigureAwait(false);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private void ThrowUnlessSuccess(HttpResponseMessage response, BlobName name, string operation)
    {
        if (response.IsSuccessStatusCode) return;
        var status = Status(response);
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound when operation is "read" or "stat" => new BlobNotFoundException(name),
            HttpStatusCode.NotFound => new StorageLocationNotFoundException(
                $"{Location} has no repository ({operation} {name} answered {status}): create one with 'cairn init'"),
            HttpStatusCode.Unauthorized => new StorageAccessDeniedException(Location, _hasCredentials
                ? "check the user and password (in the URL, or CAIRN_REST_USERNAME and CAIRN_REST_PASSWORD or CAIRN_REST_PASSWORD_FILE)"
                : "the server wants a user and password: give them in the URL (rest:https://user:password@host/path) or in CAIRN_REST_USERNAME and CAIRN_REST_PASSWORD"),
            HttpStatusCode.Forbidden => new StorageAccessDeniedException(Location,
                $"{operation} {name} is forbidden for this user (an --append-only server refuses deletes; --private-repos limits each user to /USER/)"),
            HttpStatusCode.InsufficientStorage => new StorageFullException(Location),
            // Usually a proxy's body limit (nginx allows 1 MiB unless told otherwise), else rest-server's --max-size quota.
            HttpStatusCode.RequestEntityTooLarge => new StorageException(
                $"{Location} refused {name} as too large ({status}): raise the limit of the proxy in front of it (nginx: client_max_body_size) " +
                "or the server's quota (rest-server --max-size)", isTransient: false),
            _ => new StorageException($"{Location} answered {status} to {operation} {name}", isTransient: false),
        };
    }

    private static string Status(HttpResponseMessage response) => $"{(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();

    private StorageException TooShort(BlobName name, long offset, int wanted, long got) =>
        new($"{name} at {Location} is too short: wanted {wanted} bytes at offset {offset}, got {Math.Max(got, 0)}", isTransient: false);

    private static async Task<long> SkipAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(count, 81920)];
        long skipped = 0;
        while (skipped < count)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - skipped)), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            skipped += n;
        }

        return skipped;
    }
}
