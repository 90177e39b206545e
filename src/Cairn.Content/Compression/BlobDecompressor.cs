using ZstdSharp;

namespace Cairn.Content.Compression;

/// <summary>Decompresses zstd blobs to an exactly known length. One instance per worker: not thread-safe.</summary>
public sealed class BlobDecompressor : IDisposable
{
    private readonly Decompressor _decompressor = new();
    private readonly nint _native;
    private bool _disposed;

    /// <summary>Creates a decompressor using native zstd when it is available.</summary>
    public BlobDecompressor() : this(NativeZstd.IsAvailable)
    {
    }

    /// <summary>Creates a decompressor, choosing the native or the managed zstd explicitly (tests cover both).</summary>
    internal BlobDecompressor(bool useNative)
    {
        if (useNative) _native = NativeZstd.ZSTD_createDCtx();
    }

    /// <summary>
    /// True when <see cref="Decompress"/> may be given input that lies at the end of the destination's own buffer, at
    /// least <see cref="InPlaceMargin"/> bytes beyond the destination's end (native zstd's in-place decompression).
    /// </summary>
    public bool SupportsInPlace => _native != 0;

    /// <summary>
    /// zstd.h's ZSTD_DECOMPRESSION_MARGIN for the largest block size: frame header, checksum, 3 bytes per block and one
    /// whole block. A buffer of rawLength + margin with the compressed input at its end decompresses in place.
    /// </summary>
    public static int InPlaceMargin(int rawLength)
    {
        const int FrameHeaderMax = 18, Checksum = 4, BlockSizeMax = 128 * 1024;
        int blocks = (rawLength + BlockSizeMax - 1) / BlockSizeMax;
        return FrameHeaderMax + Checksum + 3 * blocks + BlockSizeMax;
    }

    /// <summary>
    /// Decompresses <paramref name="input"/> into all of <paramref name="destination"/>, whose length is the expected
    /// uncompressed length; throws <see cref="IntegrityException"/> naming the object if the data is malformed or
    /// decompresses to any other length.
    /// </summary>
    public void Decompress(ReadOnlySpan<byte> input, Span<byte> destination, string objectDescription)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int written;
        if (_native != 0)
        {
            written = NativeZstd.Decompress(_native, input, destination, objectDescription);
            if (written != destination.Length)
                throw new IntegrityException(objectDescription, $"it decompresses to {written} bytes, not the expected {destination.Length}");
            return;
        }
        try
        {
            // A destination of exactly the expected length makes zstd itself reject longer output.
            if (!_decompressor.TryUnwrap(input, destination, out written))
                throw new IntegrityException(objectDescription, $"it decompresses to more than the expected {destination.Length} bytes");
        }
        catch (ZstdException e)
        {
            throw new IntegrityException(objectDescription, $"zstd data is malformed ({e.Message})", e);
        }
        if (written != destination.Length)
            throw new IntegrityException(objectDescription, $"it decompresses to {written} bytes, not the expected {destination.Length}");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _decompressor.Dispose();
        if (_native != 0) NativeZstd.ZSTD_freeDCtx(_native);
    }
}
