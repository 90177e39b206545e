namespace Cairn.Maintenance.Check;

/// <summary>Live counters of a running check, for progress displays. Thread-safe.</summary>
public sealed class CheckProgress
{
    private long _packsToRead, _bytesToRead, _packsRead, _bytesRead, _blobsRead;
    private volatile string _phase = "starting";

    /// <summary>What the check is doing now, e.g. "reading the index".</summary>
    public string Phase
    {
        get => _phase;
        internal set => _phase = value;
    }

    /// <summary>Packs that --read-data will read.</summary>
    public long PacksToRead => Interlocked.Read(ref _packsToRead);

    /// <summary>Their total size.</summary>
    public long BytesToRead => Interlocked.Read(ref _bytesToRead);

    /// <summary>Packs read so far.</summary>
    public long PacksRead => Interlocked.Read(ref _packsRead);

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Blobs verified so far.</summary>
    public long BlobsRead => Interlocked.Read(ref _blobsRead);

    internal void SetToRead(long packs, long bytes)
    {
        Interlocked.Exchange(ref _packsToRead, packs);
        Interlocked.Exchange(ref _bytesToRead, bytes);
    }

    internal void AddPackRead() => Interlocked.Increment(ref _packsRead);

    internal void AddBytesRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    internal void AddBlobRead() => Interlocked.Increment(ref _blobsRead);
}
