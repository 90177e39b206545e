using System.Security.Cryptography;
using System.Text;

namespace Cairn.Content.Crypto;

/// <summary>The repository's single 32-byte master secret, from which every working key is derived with HKDF-SHA256.</summary>
public sealed class MasterKey
{
    /// <summary>Length of the master secret in bytes.</summary>
    public const int Length = 32;

    /// <summary>Length of each derived working key in bytes.</summary>
    public const int DerivedKeyLength = 32;

    // The labels are part of the repository format: changing one makes every existing repository unreadable.
    internal const string EncryptionLabel = "cairn/v1/encryption";
    internal const string IdLabel = "cairn/v1/object-id";
    internal const string ChunkerLabel = "cairn/v1/chunker";

    private readonly byte[] _secret;
    private readonly byte[] _encryptionKey;
    private readonly byte[] _idKey;
    private readonly byte[] _chunkerKey;

    /// <summary>Wraps an existing 32-byte secret (copied).</summary>
    public MasterKey(ReadOnlySpan<byte> secret)
    {
        if (secret.Length != Length) throw new ArgumentException($"a master key is {Length} bytes", nameof(secret));
        _secret = secret.ToArray();
        // Derived once: the keys are used for every object, and HKDF is cheap but not free.
        _encryptionKey = Derive(_secret, EncryptionLabel);
        _idKey = Derive(_secret, IdLabel);
        _chunkerKey = Derive(_secret, ChunkerLabel);
    }

    /// <summary>A fresh random master key, for a new repository.</summary>
    public static MasterKey Generate()
    {
        Span<byte> secret = stackalloc byte[Length];
        RandomNumberGenerator.Fill(secret);
        var key = new MasterKey(secret);
        CryptographicOperations.ZeroMemory(secret);
        return key;
    }

    /// <summary>The master secret itself; only key files need it.</summary>
    public ReadOnlySpan<byte> Secret => _secret;

    /// <summary>The AES-256-GCM key for objects (HKDF info "cairn/v1/encryption"); a copy on each call.</summary>
    public byte[] EncryptionKey => (byte[])_encryptionKey.Clone();

    /// <summary>The HMAC-SHA256 key for object ids (HKDF info "cairn/v1/object-id"); a copy on each call.</summary>
    public byte[] IdKey => (byte[])_idKey.Clone();

    /// <summary>The secret that seeds the chunker's gear table (HKDF info "cairn/v1/chunker"); a copy on each call.</summary>
    public byte[] ChunkerKey => (byte[])_chunkerKey.Clone();

    private static byte[] Derive(byte[] secret, string label) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, DerivedKeyLength, salt: [], info: Encoding.UTF8.GetBytes(label));
}
