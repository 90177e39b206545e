using System.Security.Cryptography;

namespace Cairn.Content.Crypto;

/// <summary>Seals and opens objects with AES-256-GCM, binding each object's type and id into its associated data.</summary>
/// <remarks>
/// Sealed layout: nonce (12 bytes, random per call) || ciphertext || tag (16 bytes). Associated data: 1 byte
/// <see cref="ObjectType"/> || 32 bytes <see cref="ObjectId"/>, so a sealed object can be neither swapped for
/// another nor retyped. Random 96-bit nonces are safe here because one repository key seals far fewer than 2^32
/// objects (NIST SP 800-38D's bound for random nonces). Thread-safe.
/// </remarks>
public sealed class ObjectCipher
{
    /// <summary>Bytes a sealed object has beyond its plaintext.</summary>
    public const int Overhead = NonceLength + TagLength;
    /// <summary>Length of the random nonce at the start of a sealed object.</summary>
    public const int NonceLength = 12;
    /// <summary>Length of the authentication tag at the end of a sealed object.</summary>
    public const int TagLength = 16;
    /// <summary>Length of the associated data: the type byte and the id.</summary>
    public const int AssociatedDataLength = 1 + ObjectId.Length;

    // AesGcm instances are not thread-safe, and creating one per call costs a key schedule; one per thread
    // gives both safety and reuse.
    private readonly ThreadLocal<AesGcm> _aes;

    /// <summary>A cipher with the master key's encryption key.</summary>
    public ObjectCipher(MasterKey key)
        : this(key is null ? throw new ArgumentNullException(nameof(key)) : key.EncryptionKey)
    {
    }

    /// <summary>A cipher with a raw 32-byte AES-256 key (copied).</summary>
    public ObjectCipher(byte[] encryptionKey)
    {
        ArgumentNullException.ThrowIfNull(encryptionKey);
        if (encryptionKey.Length != 32) throw new ArgumentException("an AES-256 key is 32 bytes", nameof(encryptionKey));
        var keyCopy = (byte[])encryptionKey.Clone();
        _aes = new ThreadLocal<AesGcm>(() => new AesGcm(keyCopy, TagLength));
    }

    /// <summary>Length of a sealed object whose plaintext has the given length.</summary>
    public static int SealedLength(int plaintextLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(plaintextLength);
        return checked(plaintextLength + Overhead);
    }

    /// <summary>Length of the plaintext inside a sealed object of the given length, or -1 if it is too short.</summary>
    public static int OpenedLength(int sealedLength) => sealedLength < Overhead ? -1 : sealedLength - Overhead;

    /// <summary>Seals <paramref name="plaintext"/> into the first <see cref="SealedLength"/> bytes of <paramref name="destination"/>.</summary>
    public void Seal(ObjectType type, in ObjectId id, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        int length = SealedLength(plaintext.Length);
        if (destination.Length < length) throw new ArgumentException("destination is shorter than the sealed length", nameof(destination));
        if (plaintext.Overlaps(destination)) throw new ArgumentException("plaintext and destination must not overlap", nameof(destination));
        Span<byte> associated = stackalloc byte[AssociatedDataLength];
        WriteAssociatedData(type, id, associated);
        var nonce = destination[..NonceLength];
        RandomNumberGenerator.Fill(nonce);
        _aes.Value!.Encrypt(nonce, plaintext, destination.Slice(NonceLength, plaintext.Length),
            destination.Slice(NonceLength + plaintext.Length, TagLength), associated);
    }

    /// <summary>
    /// Seals in place: <paramref name="buffer"/> holds the plaintext at offset <see cref="NonceLength"/> (with
    /// <paramref name="plaintextLength"/> bytes) and room for the tag after it; on return it holds the sealed object.
    /// Saves a copy of every blob on the backup hot path.
    /// </summary>
    public void SealInPlace(ObjectType type, in ObjectId id, Span<byte> buffer, int plaintextLength)
    {
        int length = SealedLength(plaintextLength);
        if (buffer.Length < length) throw new ArgumentException("buffer is shorter than the sealed length", nameof(buffer));
        Span<byte> associated = stackalloc byte[AssociatedDataLength];
        WriteAssociatedData(type, id, associated);
        var nonce = buffer[..NonceLength];
        RandomNumberGenerator.Fill(nonce);
        // AES-GCM allows the ciphertext to occupy exactly the plaintext's bytes.
        var text = buffer.Slice(NonceLength, plaintextLength);
        _aes.Value!.Encrypt(nonce, text, text, buffer.Slice(NonceLength + plaintextLength, TagLength), associated);
    }

    /// <summary>Seals <paramref name="plaintext"/> into a new array.</summary>
    public byte[] Seal(ObjectType type, in ObjectId id, ReadOnlySpan<byte> plaintext)
    {
        var sealedBytes = new byte[SealedLength(plaintext.Length)];
        Seal(type, id, plaintext, sealedBytes);
        return sealedBytes;
    }

    /// <summary>
    /// Opens a sealed object into the first <c>sealed.Length - Overhead</c> bytes of <paramref name="plaintext"/>.
    /// Returns false if the input is too short or fails authentication (wrong key, type or id, or modified bytes);
    /// the plaintext is then cleared.
    /// </summary>
    public bool TryOpen(ObjectType type, in ObjectId id, ReadOnlySpan<byte> sealedBytes, Span<byte> plaintext)
    {
        int length = OpenedLength(sealedBytes.Length);
        if (length < 0) return false;
        if (plaintext.Length < length) throw new ArgumentException("plaintext is shorter than the opened length", nameof(plaintext));
        Span<byte> associated = stackalloc byte[AssociatedDataLength];
        WriteAssociatedData(type, id, associated);
        try
        {
            _aes.Value!.Decrypt(sealedBytes[..NonceLength], sealedBytes.Slice(NonceLength, length),
                sealedBytes[(NonceLength + length)..], plaintext[..length], associated);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Damage is an expected outcome here (check --read-data), so it is a return value, not an exception.
            return false;
        }
    }

    /// <summary>Opens a sealed object into a new array, or throws <see cref="IntegrityException"/> naming the object.</summary>
    public byte[] Open(ObjectType type, in ObjectId id, ReadOnlySpan<byte> sealedBytes, string objectDescription)
    {
        int length = OpenedLength(sealedBytes.Length);
        if (length < 0)
            throw new IntegrityException(objectDescription, $"it is {sealedBytes.Length} bytes, shorter than the {Overhead} bytes of encryption overhead");
        var plaintext = new byte[length];
        if (!TryOpen(type, id, sealedBytes, plaintext))
            throw new IntegrityException(objectDescription, "authentication failed (the bytes were modified, or belong to another object or repository)");
        return plaintext;
    }

    private static void WriteAssociatedData(ObjectType type, in ObjectId id, Span<byte> destination)
    {
        destination[0] = (byte)type;
        id.WriteTo(destination[1..]);
    }
}
