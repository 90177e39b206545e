using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Content;

namespace Cairn.Snapshots;

/// <summary>Whether a snapshot holds everything that was asked for. Retention never counts failed, partial or incomplete ones as good.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SnapshotStatus>))]
public enum SnapshotStatus
{
    /// <summary>Everything was read and stored.</summary>
    [JsonStringEnumMemberName("complete")] Complete,
    /// <summary>Some files could not be read or changed while being read; see <see cref="Snapshot.Warnings"/>.</summary>
    [JsonStringEnumMemberName("partial")] Partial,
    /// <summary>A component failed; the snapshot records what was stored before the failure.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
    /// <summary>
    /// The run was stopped (max_duration reached, or shutdown) before it read everything: the snapshot holds what was
    /// stored by then, so the next run, which takes it as its parent, neither uploads nor reads that again.
    /// </summary>
    [JsonStringEnumMemberName("incomplete")] Incomplete,
}

/// <summary>Counts and timings of the backup that made a snapshot.</summary>
public sealed record SnapshotSummary
{
    /// <summary>Files not in the parent snapshot.</summary>
    public long FilesNew { get; init; }
    /// <summary>Files in the parent whose metadata changed, so they were read again.</summary>
    public long FilesChanged { get; init; }
    /// <summary>Files taken from the parent without reading them.</summary>
    public long FilesUnchanged { get; init; }
    /// <summary>Directories not in the parent.</summary>
    public long DirsNew { get; init; }
    /// <summary>Directories whose listing changed.</summary>
    public long DirsChanged { get; init; }
    /// <summary>Directories whose listing was unchanged.</summary>
    public long DirsUnchanged { get; init; }
    /// <summary>Entries of every kind in the snapshot.</summary>
    public long TotalEntries { get; init; }
    /// <summary>Sum of the sizes of all files in the snapshot.</summary>
    public long TotalBytes { get; init; }
    /// <summary>Bytes read from files.</summary>
    public long BytesRead { get; init; }
    /// <summary>New blobs stored.</summary>
    public long BlobsAdded { get; init; }
    /// <summary>Plaintext bytes of the new blobs.</summary>
    public long BytesAdded { get; init; }
    /// <summary>Bytes the new blobs occupy in the repository (compressed, encrypted).</summary>
    public long BytesAddedStored { get; init; }
    /// <summary>When the backup started.</summary>
    public DateTimeOffset Started { get; init; }
    /// <summary>When it finished.</summary>
    public DateTimeOffset Finished { get; init; }
    /// <summary>Wall-clock seconds.</summary>
    public double DurationSeconds { get; init; }
}

/// <summary>A file or directory that was not stored, or not stored exactly, and why.</summary>
public sealed record SnapshotWarning(string Path, string Message);

/// <summary>One component of a snapshot (the files of a host, a database dump, …) and how it went.</summary>
public sealed record SnapshotComponent
{
    /// <summary>Component type, e.g. "files", "postgres".</summary>
    public required string Type { get; init; }
    /// <summary>The component's name within the job.</summary>
    public required string Name { get; init; }
    /// <summary>complete, partial, failed or incomplete (a component stopped before it finished).</summary>
    public SnapshotStatus Status { get; init; }
    /// <summary>The tool that produced the data, with its version.</summary>
    public string? Tool { get; init; }
    /// <summary>The server's version, for database components.</summary>
    public string? ServerVersion { get; init; }
    /// <summary>The data's format, e.g. "tree" or "pg_dump plain".</summary>
    public string? Format { get; init; }
    /// <summary>
    /// The directory of the snapshot's root tree that holds this component's data (its name, for job snapshots);
    /// null for a plain <c>cairn backup</c>, whose files are the whole root tree.
    /// </summary>
    public string? Path { get; init; }
    /// <summary>Why the component failed, in the tool's own words (for a failed component).</summary>
    public string? Error { get; init; }
    /// <summary>What the component holds, for listings: databases, "db.schema.table" names, key prefixes, paths.</summary>
    public IReadOnlyList<string>? Items { get; init; }
    /// <summary>Further facts the component's restore needs or a reader wants (dump options, server settings); no secrets.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }
    /// <summary>Bytes the component produced (dump stream sizes, or file sizes).</summary>
    public long? Bytes { get; init; }
    /// <summary>Plaintext bytes of blobs that were new to the repository (what deduplication did not save).</summary>
    public long? BytesAdded { get; init; }
    /// <summary>Wall-clock seconds the component took.</summary>
    public double? DurationSeconds { get; init; }
}

/// <summary>
/// A snapshot: the root tree of one backup plus who, when, what and how it went. Stored as sealed JSON in
/// snapshots/&lt;id&gt;; its fields are snake_case, and restic-style scripts find what they expect in --json output.
/// </summary>
public sealed record Snapshot
{
    /// <summary>Snapshot format version.</summary>
    public int Version { get; init; } = 1;
    /// <summary>The time the snapshot represents (now, or --time for imports).</summary>
    public required DateTimeOffset Time { get; init; }
    /// <summary>The root tree.</summary>
    [JsonConverter(typeof(ObjectIdJsonConverter))] public required ObjectId Tree { get; init; }
    /// <summary>Absolute paths that were backed up.</summary>
    public required IReadOnlyList<string> Paths { get; init; }
    /// <summary>Host name.</summary>
    public required string Hostname { get; init; }
    /// <summary>User who ran the backup.</summary>
    public string? Username { get; init; }
    /// <summary>Tags given with --tag.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The snapshot this one was compared against for unchanged files.</summary>
    [JsonConverter(typeof(NullableObjectIdJsonConverter))] public ObjectId? Parent { get; init; }
    /// <summary>The job that made this snapshot (<c>cairn job run NAME</c>); null for a plain <c>cairn backup</c>.</summary>
    public string? Job { get; init; }
    /// <summary>The instance (service) this snapshot belongs to, for component jobs.</summary>
    public string? Instance { get; init; }
    /// <summary>The environment (dev/test/prod), for component jobs.</summary>
    public string? Environment { get; init; }
    /// <summary>Exclude patterns in effect.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];
    /// <summary>complete, partial, failed or incomplete.</summary>
    public SnapshotStatus Status { get; init; }
    /// <summary>Files that were skipped or may be inexact.</summary>
    public IReadOnlyList<SnapshotWarning> Warnings { get; init; } = [];
    /// <summary>What the snapshot contains.</summary>
    public IReadOnlyList<SnapshotComponent> Components { get; init; } = [];
    /// <summary>Backup statistics.</summary>
    public SnapshotSummary? Summary { get; init; }
    /// <summary>The cairn version that wrote it.</summary>
    public string? ProgramVersion { get; init; }
    /// <summary>For a snapshot written by <c>repair snapshots</c>: the id of the damaged snapshot it replaces.</summary>
    [JsonConverter(typeof(NullableObjectIdJsonConverter))] public ObjectId? Original { get; init; }
    /// <summary>
    /// Set by copy on the copy in a repository unrelated to the source: the id of the source snapshot, so a later copy
    /// knows it is already there (copies between related repositories keep the snapshot's bytes and id instead).
    /// </summary>
    [JsonConverter(typeof(NullableObjectIdJsonConverter))] public ObjectId? CopiedFrom { get; init; }

    /// <summary>The snapshot's id (its file name); not serialised.</summary>
    [JsonIgnore] public ObjectId Id { get; init; }

    internal static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serialises to the stored JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Parses stored JSON.</summary>
    public static Snapshot FromJson(ReadOnlySpan<byte> json, ObjectId id, string description)
    {
        try
        {
            var snapshot = JsonSerializer.Deserialize<Snapshot>(json, JsonOptions) ?? throw new JsonException("null");
            if (snapshot.Version != 1)
                throw new CairnException($"{description} has format version {snapshot.Version}, which this cairn cannot read: upgrade cairn", ExitCode.UnsupportedVersion);
            return snapshot with { Id = id };
        }
        catch (JsonException e)
        {
            throw new IntegrityException(description, "its JSON is malformed", e);
        }
    }
}

/// <summary>Writes ids as 64 hex digits.</summary>
public sealed class ObjectIdJsonConverter : JsonConverter<ObjectId>
{
    /// <inheritdoc/>
    public override ObjectId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ObjectId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("not a 64-digit hex id");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, ObjectId value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

/// <summary>Writes optional ids as 64 hex digits or null.</summary>
public sealed class NullableObjectIdJsonConverter : JsonConverter<ObjectId?>
{
    /// <inheritdoc/>
    public override bool HandleNull => true;

    /// <inheritdoc/>
    public override ObjectId? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : ObjectId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("not a 64-digit hex id");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, ObjectId? value, JsonSerializerOptions options)
    {
        if (value is { } id) writer.WriteStringValue(id.ToString());
        else writer.WriteNullValue();
    }
}
