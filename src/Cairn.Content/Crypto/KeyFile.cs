using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Cairn.Content.Crypto;

/// <summary>A key file: the master key wrapped with a key derived from one password by Argon2id, stored as JSON in keys/&lt;id&gt;.</summary>
/// <remarks>
/// Layout (version 1):
/// <c>{"version":1,"created":RFC 3339,"hostname":..,"username":..,
/// "kdf":{"algorithm":"argon2id","memory_kib":N,"iterations":N,"parallelism":N,"salt":base64(32 bytes)},
/// "master_key":base64(nonce(12) || AES-256-GCM(KEK, master secret) || tag(16))}</c>, with associated data
/// UTF-8 "cairn key file v1". The file's id is the hex SHA-256 of its exact bytes, which <see cref="ToJson"/> returns.
/// </remarks>
public sealed class KeyFile
{
    /// <summary>The key file format version this build writes and reads.</summary>
    public const int CurrentVersion = 1;
    /// <summary>Length of the Argon2id salt in bytes.</summary>
    public const int SaltLength = 32;
    /// <summary>The only KDF algorithm of version 1.</summary>
    public const string Argon2idAlgorithm = "argon2id";

    private const int WrappedLength = ObjectCipher.NonceLength + MasterKey.Length + ObjectCipher.TagLength;
    private static ReadOnlySpan<byte> AssociatedData => "cairn key file v1"u8;

    private readonly byte[] _json;
    private readonly byte[] _salt;
    private readonly byte[] _wrapped;

    private KeyFile(byte[] json, DateTimeOffset created, string hostname, string username, KdfParameters kdf, byte[] salt, byte[] wrapped)
    {
        _json = json;
        Created = created;
        Hostname = hostname;
        Username = username;
        Kdf = kdf;
        _salt = salt;
        _wrapped = wrapped;
        Id = Convert.ToHexStringLower(SHA256.HashData(json));
    }

    /// <summary>When the key was added.</summary>
    public DateTimeOffset Created { get; }
    /// <summary>The host the key was added on.</summary>
    public string Hostname { get; }
    /// <summary>The user who added the key.</summary>
    public string Username { get; }
    /// <summary>The Argon2id parameters of this key.</summary>
    public KdfParameters Kdf { get; }
    /// <summary>The key file's id: hex SHA-256 of its bytes, its name under keys/.</summary>
    public string Id { get; }

    /// <summary>Wraps <paramref name="master"/> with a key derived from <paramref name="password"/> and a fresh random salt.</summary>
    public static KeyFile Create(MasterKey master, ReadOnlySpan<byte> password, KdfParameters kdf, string hostname, string username, DateTimeOffset created)
    {
        Span<byte> salt = stackalloc byte[SaltLength];
        Span<byte> nonce = stackalloc byte[ObjectCipher.NonceLength];
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        return Create(master, password, kdf, hostname, username, created, salt, nonce);
    }

    // Deterministic given salt and nonce: the golden-file test pins the format with it.
    internal static KeyFile Create(MasterKey master, ReadOnlySpan<byte> password, KdfParameters kdf, string hostname, string username,
        DateTimeOffset created, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> nonce)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(kdf);
        ArgumentNullException.ThrowIfNull(hostname);
        ArgumentNullException.ThrowIfNull(username);
        if (!kdf.IsValid) throw new ArgumentException($"Argon2id parameters out of range: {kdf}", nameof(kdf));
        var kek = kdf.DeriveKey(password, salt);
        var wrapped = new byte[WrappedLength];
        try
        {
            nonce.CopyTo(wrapped);
            using var aes = new AesGcm(kek, ObjectCipher.TagLength);
            aes.Encrypt(nonce, master.Secret, wrapped.AsSpan(ObjectCipher.NonceLength, MasterKey.Length),
                wrapped.AsSpan(ObjectCipher.NonceLength + MasterKey.Length), AssociatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
        var json = Write(created, hostname, username, kdf, salt, wrapped);
        return new KeyFile(json, created, hostname, username, kdf, salt.ToArray(), wrapped);
    }

    /// <summary>Reads a key file; throws <see cref="CairnException"/> (exit code Integrity) if it is malformed.</summary>
    public static KeyFile Parse(ReadOnlySpan<byte> json)
    {
        var bytes = json.ToArray();
        string shortId = Convert.ToHexStringLower(SHA256.HashData(bytes))[..8];
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            int version = Required(root, "version", JsonValueKind.Number).GetInt32();
            if (version != CurrentVersion)
                throw new CairnException($"key file {shortId} has version {version}; this build reads version {CurrentVersion}", ExitCode.UnsupportedVersion);
            var createdText = Required(root, "created", JsonValueKind.String).GetString()!;
            if (!DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.None, out var created))
                throw Malformed(shortId, "\"created\" is not an RFC 3339 time");
            var hostname = Required(root, "hostname", JsonValueKind.String).GetString()!;
            var username = Required(root, "username", JsonValueKind.String).GetString()!;
            var kdfElement = Required(root, "kdf", JsonValueKind.Object);
            var algorithm = Required(kdfElement, "algorithm", JsonValueKind.String).GetString();
            if (algorithm != Argon2idAlgorithm) throw Malformed(shortId, $"unknown KDF algorithm \"{algorithm}\"");
            var kdf = new KdfParameters(
                Required(kdfElement, "memory_kib", JsonValueKind.Number).GetInt32(),
                Required(kdfElement, "iterations", JsonValueKind.Number).GetInt32(),
                Required(kdfElement, "parallelism", JsonValueKind.Number).GetInt32());
            if (!kdf.IsValid) throw Malformed(shortId, $"KDF parameters out of range (memory {kdf.MemoryKiB} KiB, {kdf.Iterations} iterations, {kdf.Parallelism} lanes)");
            var salt = Required(kdfElement, "salt", JsonValueKind.String).GetBytesFromBase64();
            if (salt.Length != SaltLength) throw Malformed(shortId, $"the salt is {salt.Length} bytes, not {SaltLength}");
            var wrapped = Required(root, "master_key", JsonValueKind.String).GetBytesFromBase64();
            if (wrapped.Length != WrappedLength) throw Malformed(shortId, $"the wrapped master key is {wrapped.Length} bytes, not {WrappedLength}");
            return new KeyFile(bytes, created, hostname, username, kdf, salt, wrapped);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            // JsonException: not JSON; FormatException: bad base64 or number out of range; the others: wrong shapes.
            throw Malformed(shortId, e.Message, e);
        }
    }

    /// <summary>The exact bytes of the key file (a copy), whose SHA-256 is <see cref="Id"/>.</summary>
    public byte[] ToJson() => (byte[])_json.Clone();

    /// <summary>Unwraps the master key with <paramref name="password"/>; false if the password is wrong.</summary>
    public bool TryUnlock(ReadOnlySpan<byte> password, out MasterKey? master)
    {
        master = null;
        if (password.IsEmpty) return false; // Create refuses empty passwords, so none can open a key file
        var kek = Kdf.DeriveKey(password, _salt);
        Span<byte> secret = stackalloc byte[MasterKey.Length];
        try
        {
            using var aes = new AesGcm(kek, ObjectCipher.TagLength);
            var wrapped = _wrapped.AsSpan();
            aes.Decrypt(wrapped[..ObjectCipher.NonceLength], wrapped.Slice(ObjectCipher.NonceLength, MasterKey.Length),
                wrapped[(ObjectCipher.NonceLength + MasterKey.Length)..], secret, AssociatedData);
            master = new MasterKey(secret);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // A wrong password and a modified file look the same; the caller tries the next key file.
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static byte[] Write(DateTimeOffset created, string hostname, string username, KdfParameters kdf, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> wrapped)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        // Indented so an operator can read it; the bytes are pinned by the golden test, so the layout is the format.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", CurrentVersion);
            // UTC with "Z": RFC 3339, and no "+" for the JSON encoder to escape.
            writer.WriteString("created", created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
            writer.WriteString("hostname", hostname);
            writer.WriteString("username", username);
            writer.WriteStartObject("kdf");
            writer.WriteString("algorithm", Argon2idAlgorithm);
            writer.WriteNumber("memory_kib", kdf.MemoryKiB);
            writer.WriteNumber("iterations", kdf.Iterations);
            writer.WriteNumber("parallelism", kdf.Parallelism);
            writer.WriteBase64String("salt", salt);
            writer.WriteEndObject();
            writer.WriteBase64String("master_key", wrapped);
            writer.WriteEndObject();
        }
        var json = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(json);
        json[^1] = (byte)'\n';
        return json;
    }

    private static JsonElement Required(JsonElement parent, string name, JsonValueKind kind)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value))
            throw new KeyNotFoundException($"missing \"{name}\"");
        if (value.ValueKind != kind) throw new InvalidOperationException($"\"{name}\" is not a {kind.ToString().ToLowerInvariant()}");
        return value;
    }

    private static CairnException Malformed(string shortId, string reason, Exception? inner = null) =>
        new($"key file {shortId} is malformed: {reason}", ExitCode.Integrity, inner);
}
