using System.Buffers.Binary;
using System.Security.Cryptography;
using Cairn.Content.Crypto;
using Cairn.Storage;

namespace Cairn.Content.Packs;

/// <summary>
/// Streams sealed blobs into one pack through a blob writer, hashing as it goes, and keeps only the header entries in
/// memory. Not thread-safe: the content store serialises appends.
/// </summary>
public sealed class PackBuilder : IAsyncDisposable
{
    private readonly List<BlobEntry> _entries = [];
    private readonly IBlobWriter _writer;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _length;

    /// <summary>Creates a builder that writes the pack to <paramref name="writer"/>.</summary>
    public PackBuilder(IBlobWriter writer) => _writer = writer;

    /// <summary>Bytes of blob data appended so far.</summary>
    public int Length => _length;

    /// <summary>Number of blobs appended so far.</summary>
    public int Count => _entries.Count;

    /// <summary>The blobs appended so far, in pack order.</summary>
    public IReadOnlyList<BlobEntry> Entries => _entries;

    /// <summary>Appends one sealed blob and returns its entry (with its offset in this pack).</summary>
    public BlobEntry Append(ObjectType type, BlobFlags flags, in ObjectId id, ReadOnlySpan<byte> sealedBlob, int rawLength)
    {
        Write(sealedBlob);
        var entry = new BlobEntry(type, flags, id, (uint)(_length - sealedBlob.Length), (uint)sealedBlob.Length, (uint)rawLength);
        _entries.Add(entry);
        return entry;
    }

    /// <summary>Seals and appends the header and the trailer, and returns the pack's id (SHA-256 of its bytes).</summary>
    public ObjectId Finish(ObjectCipher cipher)
    {
        var header = PackFormat.EncodeHeader(_entries);
        var tail = new byte[ObjectCipher.SealedLength(header.Length) + PackFormat.TrailerLength];
        int sealedLength = tail.Length - PackFormat.TrailerLength;
        cipher.Seal(ObjectType.PackHeader, ObjectId.Zero, header, tail.AsSpan(0, sealedLength));
        BinaryPrimitives.WriteUInt32LittleEndian(tail.AsSpan(sealedLength), (uint)sealedLength);
        Write(tail);
        return new ObjectId(_hash.GetHashAndReset());
    }

    /// <summary>Stores the finished pack under its name.</summary>
    public Task CommitAsync(BlobName name, CancellationToken cancellationToken) => _writer.CommitAsync(name, cancellationToken);

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _writer.Write(bytes);
        _hash.AppendData(bytes);
        _length += bytes.Length;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _hash.Dispose();
        return _writer.DisposeAsync();
    }
}
