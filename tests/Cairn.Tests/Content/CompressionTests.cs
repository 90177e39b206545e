using System.Diagnostics;
using System.Text;
using Cairn.Content.Compression;

namespace Cairn.Tests.Content;

public sealed class CompressionTests
{
    internal static byte[] Text(int length)
    {
        var builder = new StringBuilder();
        var random = new Random(5);
        string[] words = ["int", "return", "buffer", "length", "if", "for", "while", "static", "void", "size_t", "offset", "count", "struct", "node"];
        while (builder.Length < length)
        {
            builder.Append(' ', random.Next(0, 12)).Append(words[random.Next(words.Length)]).Append(' ')
                .Append(words[random.Next(words.Length)]).Append(" = ").Append(random.Next(1000)).Append(";\n");
        }
        return Encoding.ASCII.GetBytes(builder.ToString(0, length));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(10_000)]
    [InlineData(1 << 20)]
    public void Text_compresses_and_round_trips(int length)
    {
        var input = Text(length);
        var compressed = CompressToArray(input);
        Assert.InRange(compressed.Length, 1, input.Length * 97 / 100);
        using var decompressor = new BlobDecompressor();
        var output = new byte[input.Length];
        decompressor.Decompress(compressed, output, "blob t");
        Assert.Equal(input, output);
    }

    private static byte[] CompressToArray(byte[] input)
    {
        using var compressor = new BlobCompressor();
        var compressed = new byte[BlobCompressor.MaxCompressedLength(input.Length)];
        int written = compressor.Compress(input, compressed);
        Assert.True(written > 0, "the input did not compress");
        return compressed.AsSpan(0, written).ToArray();
    }

    [Fact]
    public void Random_data_is_skipped_quickly()
    {
        var input = TestData.Random(8 << 20, 21);
        using var compressor = new BlobCompressor();
        var destination = new byte[BlobCompressor.MaxCompressedLength(input.Length)];
        compressor.Compress(input, destination); // warm up
        var stopwatch = Stopwatch.StartNew();
        Assert.Equal(-1, compressor.Compress(input, destination));
        Assert.True(stopwatch.ElapsedMilliseconds < 20, $"{stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(-1, compressor.Compress(TestData.Random(1000, 22), destination));
        Assert.Equal(-1, compressor.Compress([], destination));
    }

    [Fact]
    public void Data_whose_sample_compresses_but_whole_does_not_is_skipped()
    {
        // Compressible at the sampled spots, random elsewhere: passes the sample test, fails the 97% rule.
        var input = TestData.Random(1 << 20, 23);
        Array.Clear(input, 0, 8192);
        Array.Clear(input, input.Length / 2 - 4096, 8192);
        Array.Clear(input, input.Length - 8192, 8192);
        using var compressor = new BlobCompressor();
        Assert.Equal(-1, compressor.Compress(input, new byte[BlobCompressor.MaxCompressedLength(input.Length)]));

        // zstd stopped at the 97% limit mid-frame; the same instance must still produce good frames.
        var text = Text(200_000);
        var compressed = new byte[BlobCompressor.MaxCompressedLength(text.Length)];
        int written = compressor.Compress(text, compressed);
        var output = new byte[text.Length];
        using var decompressor = new BlobDecompressor();
        decompressor.Decompress(compressed.AsSpan(0, written), output, "blob r");
        Assert.Equal(text, output);
    }

    [Fact]
    public void Corrupt_or_truncated_input_raises_an_integrity_error()
    {
        var input = Text(100_000);
        var good = CompressToArray(input);
        int written = good.Length;
        using var decompressor = new BlobDecompressor();
        var output = new byte[input.Length];

        Assert.Throws<IntegrityException>(() => decompressor.Decompress(good.AsSpan(0, written / 2), output, "blob a"));
        Assert.Throws<IntegrityException>(() => decompressor.Decompress(Encoding.ASCII.GetBytes("not zstd at all"), output, "blob b"));
        Assert.Throws<IntegrityException>(() => decompressor.Decompress(good, new byte[input.Length - 1], "blob c"));
        var error = Assert.Throws<IntegrityException>(() => decompressor.Decompress(good, new byte[input.Length + 1], "blob d"));
        Assert.Equal("blob d", error.ObjectDescription);
        var corrupt = (byte[])good.Clone();
        corrupt[0] ^= 0xFF; // the frame magic
        Assert.Throws<IntegrityException>(() => decompressor.Decompress(corrupt, output, "blob e"));
        // The decompressor stays usable after errors.
        decompressor.Decompress(good, output, "blob f");
        Assert.Equal(input, output);
    }

    [Fact]
    public void Levels_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlobCompressor(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlobCompressor(23));
        using var fast = new BlobCompressor(1);
        Assert.Equal(1, fast.Level);
    }
}
