using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cairn.Content.Chunking;
using Cairn.Content.Crypto;

namespace Cairn.Content;

/// <summary>
/// The repository's settings, stored in the "config" file: a plaintext magic and format version (readable without
/// a password, so an unsupported version is reported before asking for one) followed by the sealed JSON settings.
/// </summary>
public sealed record RepositoryConfig
{
    /// <summary>The first 8 bytes of every config file.</summary>
    public static ReadOnlySpan<byte> Magic => "CAIRNREP"u8;

    /// <summary>The repository format version this build writes and the newest it reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Format version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = CurrentVersion;

    /// <summary>Random repository id (hex), used in cache paths and to tell repositories apart.</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>When the repository was created.</summary>
    [JsonPropertyName("created")] public DateTimeOffset Created { get; init; }

    /// <summary>Content-defined chunking sizes.</summary>
    [JsonPropertyName("chunker")] public required ChunkerSettings Chunker { get; init; }

    /// <summary>zstd level for blobs.</summary>
    [JsonPropertyName("compression_level")] public int CompressionLevel { get; init; } = 3;

    /// <summary>Target pack size in bytes.</summary>
    [JsonPropertyName("pack_size")] public int PackSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Chunk size bounds, persisted so every client cuts the same boundaries.</summary>
    public sealed record ChunkerSettings(
        [property: JsonPropertyName("min_size")] int MinSize,
        [property: JsonPropertyName("average_size")] int AverageSize,
        [property: JsonPropertyName("max_size")] int MaxSize)
    {
        /// <summary>As chunker parameters.</summary>
        public ChunkerParameters ToParameters() => new(MinSize, AverageSize, MaxSize);
    }

    /// <summary>A new config with fresh random id and default settings.</summary>
    public static RepositoryConfig CreateNew(DateTimeOffset now)
    {
        // A 2 MiB cap instead of the chunker's 8 MiB default: every backup worker holds a read buffer and a few codec
        // buffers sized by the largest chunk, so the cap bounds memory (a first backup of the Linux tree peaked about
        // 15 MB lower than with 4 MiB, with the same repository size), and FastCDC's normalisation makes chunks that long
        // rare anyway. Long runs without a cut point (padded database rows) also deduplicate in smaller pieces.
        var p = ChunkerParameters.Default with { MaxSize = 2 * 1024 * 1024 };
        return new RepositoryConfig
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            Created = now,
            Chunker = new ChunkerSettings(p.MinSize, p.AverageSize, p.MaxSize),
        };
    }

    /// <summary>Encodes the config file: magic, version (u32 LE), sealed JSON.</summary>
    public byte[] Encode(ObjectCipher cipher)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this);
        var sealedJson = cipher.Seal(ObjectType.Config, ObjectId.Zero, json);
        var bytes = new byte[12 + sealedJson.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)Version);
        sealedJson.CopyTo(bytes.AsSpan(12));
        return bytes;
    }

    /// <summary>Checks the plaintext part of a config file and returns its version; raises a clear error if it is not a supported Cairn repository.</summary>
    public static int ReadVersion(ReadOnlySpan<byte> file, string location)
    {
        if (file.Length < 12 || !file[..8].SequenceEqual(Magic))
            throw new CairnException($"{location} is not a Cairn repository (its config file is not recognised)", ExitCode.RepositoryNotFound);
        int version = (int)BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
        if (version > CurrentVersion || version < 1)
            throw new CairnException($"repository {location} uses format version {version}, but this cairn reads versions 1 to {CurrentVersion}: upgrade cairn", ExitCode.UnsupportedVersion);
        return version;
    }

    /// <summary>Opens the sealed part of a config file.</summary>
    public static RepositoryConfig Decode(ReadOnlySpan<byte> file, ObjectCipher cipher, string location)
    {
        ReadVersion(file, location);
        var json = cipher.Open(ObjectType.Config, ObjectId.Zero, file[12..], $"config of {location}");
        try
        {
            return JsonSerializer.Deserialize<RepositoryConfig>(json) ?? throw new JsonException("null config");
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"config of {location}", "its settings are not valid JSON", e);
        }
    }
}
