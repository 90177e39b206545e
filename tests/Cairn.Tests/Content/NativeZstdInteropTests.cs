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
}
