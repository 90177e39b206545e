using Cairn.Content.Compression;

namespace Cairn.Tests.Content;

/// <summary>The native and the managed zstd must read each other's output: a repository may be written by one and read by the other.</summary>
public sealed class NativeZstdInteropTests
{
    [Fact]
    public void Native_zstd_is_available_on_debian() =>
        Assert.True(NativeZstd.IsAvailable, "libzstd.so.1 did not load; backups fall back to the slower managed zstd");

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Output_of_one_implementation_decompresses_with_the_other(bool compressNative, bool decompressNative)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i % 97} of some text\n")));
        using var compressor = new BlobCompressor(3, compressNative);
        var compressed = new byte[BlobCompressor.MaxCompressedLength(text.Length)];
        int length = compressor.Compress(text, compressed);
        Assert.InRange(length, 1, text.Length / 2);

        using var decompressor = new BlobDecompressor(decompressNative);
        var output = new byte[text.Length];
        decompressor.Decompress(compressed.AsSpan(0, length), output, "test blob");
        Assert.Equal(text, output);

        // A truncated frame is an integrity error in both implementations, never a crash or silent garbage.
        Assert.Throws<IntegrityException>(() => decompressor.Decompress(compressed.AsSpan(0, length / 2), output, "test blob"));
    }

    /// <summary>
    /// Verify-before-upload opens a blob into the end of the buffer it then decompresses into (native zstd only). The
    /// hard case is data that barely compresses: the input is nearly as long as the output, so writes catch up with reads.
    /// </summary>
    [Theory]
    [InlineData(4 * 1024 * 1024, 1, 0.9)]
    [InlineData(4 * 1024 * 1024, 3, 0.85)]
    [InlineData(3 * 1024 * 1024 + 12345, 9, 0.5)]
    [InlineData(700_000, 3, 0.8)]
    [InlineData(1000, 3, 0.0)]
    public void Native_decompression_in_place_with_the_documented_margin_round_trips(int length, int level, double randomFraction)
    {
        // Random bytes with runs of zeros in between: the fraction sets how compressible it is.
        var data = TestData.Random(length, (ulong)length * 31 + (ulong)level);
        for (int i = 0; i < length; i += 4096)
            data.AsSpan(i, Math.Min(length - i, (int)(4096 * (1 - randomFraction)))).Clear();
        using var compressor = new BlobCompressor(level, useNative: true);
        var compressed = new byte[BlobCompressor.MaxCompressedLength(length)];
        int compressedLength = compressor.Compress(data, compressed);
        Assert.InRange(compressedLength, 1, length - 1);

        using var decompressor = new BlobDecompressor(useNative: true);
        Assert.True(decompressor.SupportsInPlace);
        int room = length + BlobDecompressor.InPlaceMargin(length);
        var buffer = new byte[room];
        compressed.AsSpan(0, compressedLength).CopyTo(buffer.AsSpan(room - compressedLength));
        decompressor.Decompress(buffer.AsSpan(room - compressedLength, compressedLength), buffer.AsSpan(0, length), "test blob");
        Assert.True(data.AsSpan().SequenceEqual(buffer.AsSpan(0, length)));
    }
}
