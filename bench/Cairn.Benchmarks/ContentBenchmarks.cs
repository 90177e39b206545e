using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Cairn.Content;
using Cairn.Content.Chunking;
using Cairn.Content.Compression;
using Cairn.Content.Crypto;

namespace Cairn.Benchmarks;

/// <summary>FastCDC over 64 MiB of random data with the default 512 KiB / 1 MiB / 8 MiB parameters.</summary>
[Config(typeof(ThroughputConfig))]
public class ChunkerBenchmarks
{
    private const int Length = 64 * BenchData.MiB;
    private byte[] _data = [];
    private Chunker _chunker = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data = BenchData.Random(Length);
        _chunker = new Chunker(new MasterKey(new byte[32]).ChunkerKey, ChunkerParameters.Default);
    }

    [Benchmark, Bytes(Length)]
    public int FindBoundary()
    {
        ReadOnlySpan<byte> data = _data;
        int chunks = 0;
        while (data.Length > 0)
        {
            data = data[_chunker.FindBoundary(data, isFinal: true)..];
            chunks++;
        }
        return chunks;
    }
}

/// <summary>Keyed object ids: ObjectIdHasher (a reused per-thread IncrementalHash) against the static HMAC one-shot.</summary>
[Config(typeof(ThroughputConfig))]
public class ObjectIdHasherBenchmarks
{
    private byte[] _block = [];
    private byte[] _small = [];
    private byte[] _idKey = [];
    private ObjectIdHasher _hasher = null!;
    private readonly byte[] _mac = new byte[32];

    [GlobalSetup]
    public void Setup()
    {
        _block = BenchData.Random(BenchData.MiB);
        _small = BenchData.Random(4096);
        var key = new MasterKey(new byte[32]);
        _idKey = key.IdKey;
        _hasher = new ObjectIdHasher(key);
    }

    [Benchmark, Bytes(BenchData.MiB)]
    public ObjectId Hasher1MiB() => _hasher.Compute(_block);

    [Benchmark, Bytes(BenchData.MiB)]
    public int OneShot1MiB() => HMACSHA256.HashData(_idKey, _block, _mac);

    [Benchmark, Bytes(4096)]
    public ObjectId Hasher4KiB() => _hasher.Compute(_small);

    [Benchmark, Bytes(4096)]
    public int OneShot4KiB() => HMACSHA256.HashData(_idKey, _small, _mac);
}

/// <summary>AES-256-GCM sealing and opening of 1 MiB objects.</summary>
[Config(typeof(ThroughputConfig))]
public class ObjectCipherBenchmarks
{
    private byte[] _plaintext = [];
    private byte[] _sealed = [];
    private byte[] _opened = [];
    private ObjectCipher _cipher = null!;
    private readonly ObjectId _id = new(new byte[32]);

    [GlobalSetup]
    public void Setup()
    {
        _plaintext = BenchData.Random(BenchData.MiB);
        _cipher = new ObjectCipher(new MasterKey(new byte[32]));
        _sealed = _cipher.Seal(ObjectType.Data, _id, _plaintext);
        _opened = new byte[BenchData.MiB];
    }

    [Benchmark, Bytes(BenchData.MiB)]
    public void Seal() => _cipher.Seal(ObjectType.Data, _id, _plaintext, _sealed);

    [Benchmark, Bytes(BenchData.MiB)]
    public bool TryOpen() => _cipher.TryOpen(ObjectType.Data, _id, _sealed, _opened);
}

/// <summary>zstd on 1 MiB of pseudo source code at levels 1, 3 and 5, compressing and decompressing.</summary>
[Config(typeof(ThroughputConfig))]
public class CompressionBenchmarks
{
    private byte[] _text = [];
    private byte[] _compressed = [];
    private byte[] _output = [];
    private int _compressedLength;
    private BlobCompressor _compressor = null!;
    private BlobDecompressor _decompressor = null!;

    [Params(1, 3, 5)]
    public int Level { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = BenchData.SourceText(BenchData.MiB);
        _compressor = new BlobCompressor(Level);
        _decompressor = new BlobDecompressor();
        _compressed = new byte[BlobCompressor.MaxCompressedLength(_text.Length)];
        _output = new byte[_text.Length];
        _compressedLength = _compressor.Compress(_text, _compressed);
        Console.WriteLine($"// level {Level}: ratio {(double)_text.Length / _compressedLength:F2}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _compressor.Dispose();
        _decompressor.Dispose();
    }

    [Benchmark, Bytes(BenchData.MiB)]
    public int CompressText() => _compressor.Compress(_text, _compressed);

    [Benchmark, Bytes(BenchData.MiB)]
    public void DecompressText() => _decompressor.Decompress(_compressed.AsSpan(0, _compressedLength), _output, "bench");
}

/// <summary>The skip path: 1 MiB of random data, rejected by the sample test.</summary>
[Config(typeof(ThroughputConfig))]
public class CompressionSkipBenchmarks
{
    private byte[] _random = [];
    private byte[] _destination = [];
    private BlobCompressor _compressor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _random = BenchData.Random(BenchData.MiB);
        _destination = new byte[BlobCompressor.MaxCompressedLength(_random.Length)];
        _compressor = new BlobCompressor();
    }

    [GlobalCleanup]
    public void Cleanup() => _compressor.Dispose();

    [Benchmark, Bytes(BenchData.MiB)]
    public int CompressRandom() => _compressor.Compress(_random, _destination);
}
