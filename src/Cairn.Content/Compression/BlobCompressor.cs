using ZstdSharp;

namespace Cairn.Content.Compression;

/// <summary>Compresses blobs with zstd, skipping data that would not shrink. One instance per worker: not thread-safe.</summary>
public sealed class BlobCompressor : IDisposable
{
    /// <summary>The level new repositories use; see docs/PERFORMANCE.md for how it was chosen.</summary>
    public const int DefaultLevel = 3;

    /// <summary>Inputs at least this long get the cheap sample test before the real compression.</summary>
    public const int SampleThreshold = 64 * 1024;

    private const int SliceLength = 4 * 1024;
    private const int SampleLevel = 1;

    private readonly Compressor _compressor;
    private readonly Compressor _sampler;
    // Reused per instance (instances are per worker) so the sample test allocates nothing.
    private readonly byte[] _sample = new byte[3 * SliceLength];
    private readonly byte[] _sampleOutput = new byte[Compressor.GetCompressBound(3 * SliceLength)];
    private readonly nint _native;
    private bool _disposed;

    /// <summary>Creates a compressor at the given zstd level (1..22; negative levels are zstd's fast modes).</summary>
    public BlobCompressor(int level = DefaultLevel) : this(level, NativeZstd.IsAvailable)
    {
    }

    /// <summary>Creates a compressor, choosing the native or the managed zstd explicitly (tests cover both).</summary>
    internal BlobCompressor(int level, bool useNative)
    {
        if (level < Compressor.MinCompressionLevel || level > Compressor.MaxCompressionLevel || level == 0)
            throw new ArgumentOutOfRangeException(nameof(level), level, "not a zstd compression level");
        Level = level;
        if (useNative) _native = NativeZstd.ZSTD_createCCtx();
        _compressor = new Compressor(level);
        _sampler = new Compressor(SampleLevel);
    }

    /// <summary>The zstd level.</summary>
    public int Level { get; }

    /// <summary>A destination of this length always holds the compressed form of an input of the given length.</summary>
    public static int MaxCompressedLength(int inputLength) => Compressor.GetCompressBound(inputLength);

    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="destination"/> and returns the compressed length, or -1
    /// when the data is not worth compressing (an input of 64 KiB or more whose sample of three 4 KiB slices does not
    /// shrink by 3% at level 1, or any input whose output would not be below 97% of it). On -1 store the input raw.
    /// </summary>
    public int Compress(ReadOnlySpan<byte> input, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (input.Length >= SampleThreshold && !SampleShrinks(input)) return -1;
        // Output that cannot fit in 97% of the input is not worth keeping, so stop zstd as soon as it overflows that.
        int worthwhile = WorthwhileLength(input.Length);
        if (worthwhile <= 0) return -1;
        if (destination.Length < worthwhile) throw new ArgumentException("destination is shorter than MaxCompressedLength", nameof(destination));
        if (_native != 0) return NativeZstd.Compress(_native, input, destination[..worthwhile], Level);
        return _compressor.TryWrap(input, destination[..worthwhile], out int written) ? written : -1;
    }

    // Already-compressed or encrypted inputs (media, archives, compressed dumps) are common in backups; spending
    // 12 KiB of level-1 work to skip a whole megabyte of futile compression pays for itself many times over.
    private bool SampleShrinks(ReadOnlySpan<byte> input)
    {
        var sample = _sample.AsSpan();
        input[..SliceLength].CopyTo(sample);
        input.Slice(input.Length / 2 - SliceLength / 2, SliceLength).CopyTo(sample[SliceLength..]);
        input[^SliceLength..].CopyTo(sample[(2 * SliceLength)..]);
        int written = _native != 0 ? NativeZstd.Compress(_native, sample, _sampleOutput, SampleLevel) : _sampler.Wrap(sample, _sampleOutput);
        return written < WorthwhileLength(sample.Length);
    }

    private static int WorthwhileLength(int inputLength) => (int)(inputLength * 97L / 100);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _compressor.Dispose();
        _sampler.Dispose();
        if (_native != 0) NativeZstd.ZSTD_freeCCtx(_native);
    }
}
