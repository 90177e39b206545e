namespace Cairn.Components.Bucket;

/// <summary>
/// The objects under one S3 or Azure location, as the bucket component reads and writes them. Keys are relative to the
/// location's prefix. Failures are <see cref="ComponentFailedException"/>s carrying the service's own words.
/// </summary>
internal interface IObjectStore : IAsyncDisposable
{
    /// <summary>The location as configured, for messages and the manifest.</summary>
    string Location { get; }

    /// <summary>The SDK that talks to the service, with its version, for the manifest.</summary>
    string Tool { get; }

    /// <summary>Every object under the prefix, in the service's order.</summary>
    IAsyncEnumerable<ListedObject> ListAsync(CancellationToken cancellationToken);

    /// <summary>Starts reading an object; null when it no longer exists.</summary>
    Task<ObjectDownload?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Creates the bucket or container when it does not exist (restore into a new one).</summary>
    Task CreateIfMissingAsync(CancellationToken cancellationToken);

    /// <summary>Writes an object of <paramref name="size"/> bytes read from <paramref name="content"/>, replacing any.</summary>
    Task PutAsync(string key, long size, ObjectProperties properties, Stream content, CancellationToken cancellationToken);
}

/// <summary>A key and its size, from a listing.</summary>
internal sealed record ListedObject(string Key, long Size);

/// <summary>An object being read: its body (streamed from the service) and what the service said about it.</summary>
internal sealed class ObjectDownload(Stream content, long length, string? etag, DateTimeOffset? lastModified, ObjectProperties properties, IDisposable response)
    : IDisposable
{
    /// <summary>The body; read it to the end.</summary>
    public Stream Content { get; } = content;

    /// <summary>The Content-Length the service announced.</summary>
    public long Length { get; } = length;

    /// <summary>The ETag without quotes.</summary>
    public string? ETag { get; } = etag?.Trim('"');

    /// <summary>When the object was last written.</summary>
    public DateTimeOffset? LastModified { get; } = lastModified;

    /// <summary>The object's properties and metadata.</summary>
    public ObjectProperties Properties { get; } = properties;

    /// <inheritdoc/>
    public void Dispose() => response.Dispose();
}
