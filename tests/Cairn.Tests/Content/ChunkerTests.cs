using System.Security.Cryptography;
using Cairn.Content.Chunking;
using Cairn.Content.Crypto;

namespace Cairn.Tests.Content;

public sealed class ChunkerTests
{
    private static readonly ChunkerParameters s_small = new(2 * 1024, 8 * 1024, 64 * 1024);
    private static readonly byte[] s_key = new MasterKey(TestData.Sequence(32)).ChunkerKey;

    private static List<int> ChunkAll(Chunker chunker, ReadOnlySpan<byte> data)
    {
        var lengths = new List<int>();
        while (data.Length > 0)
        {
            int length = chunker.FindBoundary(data, isFinal: true);
            Assert.InRange(length, 1, data.Length);
            lengths.Add(length);
            data = data[length..];
        }
        return lengths;
    }

    // Feeds the data as a stream would arrive: in reads of random size, asking for more whenever the chunker does.
    private static List<int> ChunkStreaming(Chunker chunker, byte[] data, Random random)
    {
        var lengths = new List<int>();
        int start = 0, available = 0;
        int max = chunker.Parameters.MaxSize;
        while (true)
        {
            bool isFinal = available == data.Length;
            int length = chunker.FindBoundary(data.AsSpan(start, available - start), isFinal);
            if (length == 0) break;
            if (length < 0)
            {
                Assert.True(available - start < max, "asked for more data although it had MaxSize bytes");
                available = Math.Min(data.Length, available + random.Next(1, max / 2));
                continue;
            }
            lengths.Add(length);
            start += length;
        }
        Assert.Equal(data.Length, start);
        return lengths;
    }

    [Fact]
    public void Boundaries_do_not_depend_on_how_data_is_fed()
    {
        var data = TestData.Random(4 << 20, 11);
        foreach (var parameters in new[] { s_small, new ChunkerParameters(64 * 1024, 256 * 1024, 1024 * 1024) })
        {
            var chunker = new Chunker(s_key, parameters);
            var expected = ChunkAll(chunker, data);
            for (int seed = 0; seed < 3; seed++) Assert.Equal(expected, ChunkStreaming(chunker, data, new Random(seed)));
        }
    }

    [Fact]
    public void Chunks_stay_within_bounds_except_the_last()
    {
        var chunker = new Chunker(s_key, s_small);
        var lengths = ChunkAll(chunker, TestData.Random(3 << 20, 12));
        Assert.All(lengths.SkipLast(1), l => Assert.InRange(l, s_small.MinSize, s_small.MaxSize));
        Assert.InRange(lengths[^1], 1, s_small.MaxSize);
    }

    [Fact]
    public void Uniform_data_is_cut_at_max_size()
    {
        var chunker = new Chunker(s_key, s_small);
        var lengths = ChunkAll(chunker, new byte[200_000]);
        Assert.Equal([65536, 65536, 65536, 3392], lengths);
    }

    [Fact]
    public void Average_chunk_size_is_near_the_target_with_default_parameters()
    {
        var chunker = new Chunker(s_key, ChunkerParameters.Default);
        var lengths = ChunkAll(chunker, TestData.Random(64 << 20, 13));
        double average = lengths.SkipLast(1).Average();
        Assert.InRange(average, 0.7 * (1 << 20), 1.3 * (1 << 20));
        Assert.All(lengths.SkipLast(1), l => Assert.InRange(l, 512 * 1024, 8 << 20));
    }

    [Fact]
    public void Average_chunk_size_is_near_the_target_with_small_parameters()
    {
        var lengths = ChunkAll(new Chunker(s_key, s_small), TestData.Random(16 << 20, 14));
        Assert.InRange(lengths.SkipLast(1).Average(), 0.85 * 8192, 1.15 * 8192);
    }

    [Fact]
    public void Different_keys_give_different_boundaries()
    {
        var data = TestData.Random(1 << 20, 15);
        var a = ChunkAll(new Chunker(s_key, s_small), data);
        var b = ChunkAll(new Chunker(MasterKey.Generate().ChunkerKey, s_small), data);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void An_insertion_near_the_start_changes_only_nearby_chunks()
    {
        var chunker = new Chunker(s_key, s_small);
        var original = TestData.Random(4 << 20, 16);
        var edited = new byte[original.Length + 100];
        original.AsSpan(0, 5000).CopyTo(edited);
        TestData.Random(100, 99).CopyTo(edited, 5000);
        original.AsSpan(5000).CopyTo(edited.AsSpan(5100));

        var before = ChunkHashes(original, ChunkAll(chunker, original));
        var after = ChunkHashes(edited, ChunkAll(chunker, edited));
        int shared = after.Count(before.Contains);
        Assert.True(after.Count - shared <= 3, $"{after.Count - shared} of {after.Count} chunks changed");
    }

    private static HashSet<string> ChunkHashes(byte[] data, List<int> lengths)
    {
        var hashes = new HashSet<string>();
        int offset = 0;
        foreach (int length in lengths)
        {
            hashes.Add(Convert.ToHexString(SHA256.HashData(data.AsSpan(offset, length))));
            offset += length;
        }
        return hashes;
    }

    [Fact]
    public void Edge_cases_follow_the_contract()
    {
        var chunker = new Chunker(s_key, s_small);
        Assert.Equal(0, chunker.FindBoundary([], isFinal: true));
        Assert.Equal(-1, chunker.FindBoundary([], isFinal: false));
        Assert.Equal(-1, chunker.FindBoundary(new byte[100], isFinal: false));
        Assert.Equal(100, chunker.FindBoundary(new byte[100], isFinal: true));
        Assert.Equal(s_small.MaxSize, chunker.FindBoundary(new byte[s_small.MaxSize], isFinal: false));
        Assert.Equal(s_small.MaxSize, chunker.FindBoundary(new byte[s_small.MaxSize * 2], isFinal: false));
    }

    [Fact]
    public void Invalid_parameters_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Chunker(s_key, new ChunkerParameters(1024, 3000, 8192)));
        Assert.Throws<ArgumentException>(() => new Chunker(s_key, new ChunkerParameters(8192, 4096, 16384)));
        Assert.Throws<ArgumentException>(() => new Chunker(new byte[4], s_small));
    }

    [Fact]
    public void Golden_boundaries_are_stable()
    {
        // Pinned: a change here re-chunks every file and loses deduplication against existing repositories.
        var lengths = ChunkAll(new Chunker(s_key, s_small), TestData.Random(100_000, 17));
        Assert.Equal([8703, 11945, 15933, 9644, 6521, 9066, 8233, 7894, 10798, 9197, 2066], lengths);
    }
}
