using System.Buffers;
using Cairn.Content.Compression;
using Cairn.Content.Crypto;
using Cairn.Content.Packs;

namespace Cairn.Content;

/// <summary>
/// Turns plaintext blobs into sealed pack entries and back. Holds a zstd context and scratch buffers, so it is
/// not thread-safe: the content store keeps a pool, one per concurrent caller.
/// </summary>
internal sealed class BlobCodec : IDisposable
{
    private readonly ObjectCipher _cipher;
    private readonly ObjectIdHasher _hasher;
    private readonly BlobCompressor _compressor;
    private readonly BlobDecompressor _decompressor = new();
    // Scratch buffers belong to the codec (one per concurrent caller). A shared pool would round each request up to a
    // power of two (a 4 MiB chunk's sealed form needs 8 MiB) and keep arrays of every size ever asked for.
    private byte[] _sealed = [];
    private byte[] _check = [];
    private byte[] _raw = [];
    private readonly int _typicalSealed;
    private readonly int _typicalRaw;

    /// <summary>A codec whose scratch buffers are sized for blobs of up to <paramref name="maxChunk"/> bytes (larger ones grow them).</summary>
    public BlobCodec(ObjectCipher cipher, ObjectIdHasher hasher, int compressionLevel, int maxChunk)
    {
        _cipher = cipher;
        _hasher = hasher;
        _compressor = new BlobCompressor(compressionLevel);
        _typicalSealed = ObjectCipher.SealedLength(PayloadRoom(maxChunk));
        _typicalRaw = ChunkDecodeRoom(maxChunk);
    }

    /// <summary>The <see cref="DecodeRoom"/> of the largest blob a chunk of <paramref name="maxChunk"/> bytes can become.</summary>
    public static int ChunkDecodeRoom(int maxChunk) => Room(true, maxChunk, PayloadRoom(maxChunk));

    private static int PayloadRoom(int rawLength) => Math.Max(BlobCompressor.MaxCompressedLength(rawLength), rawLength);

    /// <summary>
    /// Compresses (when worthwhile) and seals one blob, then opens, decompresses and re-hashes the result, so that
    /// nothing unreadable is ever uploaded (verify-before-upload). The returned span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Encode(ObjectType type, in ObjectId id, ReadOnlySpan<byte> plaintext, out BlobFlags flags)
    {
        // Compress (or copy) straight to where the sealed payload goes, then seal in place: one buffer per blob.
        int payloadRoom = PayloadRoom(plaintext.Length);
        ScratchArrays.Ensure(ref _sealed, ObjectCipher.SealedLength(payloadRoom), _typicalSealed);
        int payloadLength = _compressor.Compress(plaintext, _sealed.AsSpan(ObjectCipher.NonceLength, payloadRoom));
        flags = payloadLength >= 0 ? BlobFlags.Compressed : BlobFlags.None;
        if (payloadLength < 0)
        {
            plaintext.CopyTo(_sealed.AsSpan(ObjectCipher.NonceLength));
            payloadLength = plaintext.Length;
        }
        _cipher.SealInPlace(type, id, _sealed, payloadLength);
        var sealedBlob = _sealed.AsSpan(0, ObjectCipher.SealedLength(payloadLength));
        Verify(type, id, flags, sealedBlob, plaintext.Length);
        return sealedBlob;
    }

    private void Verify(ObjectType type, in ObjectId id, BlobFlags flags, ReadOnlySpan<byte> sealedBlob, int rawLength)
    {
        var copy = id;
        string Describe() => $"new {type.ToString().ToLowerInvariant()} blob {copy.ToShortString()}";
        bool compressed = (flags & BlobFlags.Compressed) != 0;
        int room = Room(compressed, rawLength, sealedBlob.Length - ObjectCipher.Overhead);
        ScratchArrays.Ensure(ref _raw, room, _typicalRaw);
        if (!TryOpenInto(type, id, compressed, sealedBlob, _raw.AsSpan(0, room), rawLength, Describe()))
            throw new IntegrityException(Describe(), "it did not decrypt right after encryption (memory or CPU fault?); nothing was uploaded");
        if (_hasher.Compute(_raw.AsSpan(0, rawLength)) != id)
            throw new IntegrityException(Describe(), "it did not round-trip before upload (memory or CPU fault?); nothing was uploaded");
    }

    /// <summary>
    /// The workspace length with which <see cref="Decode"/> needs no scratch buffer of its own: the raw length, plus,
    /// for a compressed blob, room to open its payload at the end and decompress it in place.
    /// </summary>
    public static int DecodeRoom(in BlobEntry entry) => Room(entry.IsCompressed, (int)entry.RawLength, (int)entry.StoredLength - ObjectCipher.Overhead);

    private static int Room(bool compressed, int rawLength, int openedLength) =>
        compressed && NativeZstd.IsAvailable
            ? Math.Max(rawLength + BlobDecompressor.InPlaceMargin(rawLength), openedLength)
            : Math.Max(rawLength, openedLength);

    /// <summary>
    /// Opens one sealed blob into the start of <paramref name="workspace"/> (its raw length); a workspace of at least
    /// <see cref="DecodeRoom"/> bytes spares the codec a scratch buffer for compressed blobs.
    /// </summary>
    public void Decode(in BlobEntry entry, ReadOnlySpan<byte> sealedBlob, Span<byte> workspace, string description)
    {
        if (sealedBlob.Length != entry.StoredLength || workspace.Length < entry.RawLength
            || (!entry.IsCompressed && entry.StoredLength - ObjectCipher.Overhead != entry.RawLength))
            throw new IntegrityException(description, "its stored length does not match the index");
        if (!TryOpenInto(entry.Type, entry.Id, entry.IsCompressed, sealedBlob, workspace, (int)entry.RawLength, description))
            throw new IntegrityException(description, "authentication failed (the pack was modified or corrupted)");
    }

    // Opens a sealed blob and leaves its raw bytes in workspace[..rawLength]; false if it does not authenticate. With
    // native zstd and a workspace of Room() bytes, a compressed payload is opened into the workspace's end and
    // decompressed in place (zstd guarantees that with the margin of ZSTD_DECOMPRESSION_MARGIN after the output), so
    // one buffer serves instead of two; otherwise the payload goes through the codec's own scratch buffer.
    private bool TryOpenInto(ObjectType type, in ObjectId id, bool compressed, ReadOnlySpan<byte> sealedBlob, Span<byte> workspace, int rawLength, string description)
    {
        int openedLength = sealedBlob.Length - ObjectCipher.Overhead;
        Span<byte> opened;
        if (!compressed) opened = workspace[..openedLength];
        else if (_decompressor.SupportsInPlace && workspace.Length >= Room(true, rawLength, openedLength)) opened = workspace[^openedLength..];
        else
        {
            ScratchArrays.Ensure(ref _check, openedLength, 0);
            opened = _check.AsSpan(0, openedLength);
        }
        if (!_cipher.TryOpen(type, id, sealedBlob, opened)) return false;
        if (compressed) _decompressor.Decompress(opened, workspace[..rawLength], description);
        return true;
    }

    /// <summary>
    /// Checks a sealed blob read from a pack before it is copied into another: it must authenticate, decompress to its
    /// raw length and hash to its id.
    /// </summary>
    public void Verify(in BlobEntry entry, ReadOnlySpan<byte> sealedBlob, string description)
    {
        var plaintext = LargeBuffers.Pool.Rent((int)entry.RawLength);
        try
        {
            var raw = plaintext.AsSpan(0, (int)entry.RawLength);
            Decode(entry, sealedBlob, raw, description);
            if (_hasher.Compute(raw) != entry.Id) throw new IntegrityException(description, "its content does not match its id");
        }
        finally
        {
            LargeBuffers.Pool.Return(plaintext);
        }
    }

    public void Dispose()
    {
        _compressor.Dispose();
        _decompressor.Dispose();
    }
}
