using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cairn.Components.Bucket;

/// <summary>
/// One line of the bucket component's manifest (<see cref="ObjectPaths.ManifestFile"/>): an object's key, where its
/// bytes are stored, and what a restore puts back besides them. Keys are relative to the component's prefix.
/// </summary>
public sealed record ObjectRecord
{
    /// <summary>The key, relative to the prefix of the component's url.</summary>
    public required string Key { get; init; }

    /// <summary>The file in the component's directory that holds the bytes.</summary>
    public required string Path { get; init; }

    /// <summary>The length in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>The service's ETag as it answered the GET (quotes removed); informational, a restore gets a new one.</summary>
    public string? ETag { get; init; }

    /// <summary>The service's last-modified time of the object.</summary>
    public DateTimeOffset? LastModified { get; init; }

    /// <summary>The content type, cache control, encoding, disposition, language and user metadata.</summary>
    [JsonPropertyName("properties")]
    public ObjectProperties Properties { get; init; } = new();

    private static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The record as one line of JSON (no line break).</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads every record of a manifest; a malformed line is an integrity error naming it.</summary>
    public static async Task<List<ObjectRecord>> ReadAllAsync(Stream manifest, CancellationToken cancellationToken)
    {
        var records = new List<ObjectRecord>();
        using var reader = new StreamReader(manifest, Encoding.UTF8, leaveOpen: true);
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<ObjectRecord>(line, JsonOptions) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new IntegrityException($"bucket manifest {ObjectPaths.ManifestFile}", $"line {number} is not an object record: {e.Message}");
            }
        }

        return records;
    }
}

/// <summary>The HTTP properties and user metadata of an object, as both S3 and Azure Blob keep them.</summary>
public sealed record ObjectProperties
{
    /// <summary>Content-Type.</summary>
    public string? ContentType { get; init; }

    /// <summary>Cache-Control.</summary>
    public string? CacheControl { get; init; }

    /// <summary>Content-Encoding.</summary>
    public string? ContentEncoding { get; init; }

    /// <summary>Content-Disposition.</summary>
    public string? ContentDisposition { get; init; }

    /// <summary>Content-Language.</summary>
    public string? ContentLanguage { get; init; }

    /// <summary>User metadata (S3 x-amz-meta-*, Azure x-ms-meta-*), names without that prefix.</summary>
    public SortedDictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);
}
