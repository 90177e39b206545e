namespace Cairn.Archiving.Restore;

/// <summary>Live counters of a running restore, for progress displays.</summary>
public sealed class RestoreProgress
{
    private long _bytesWritten, _totalBytes, _filesDone, _totalFiles;

    /// <summary>Bytes of file content written so far.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);
    /// <summary>Bytes of file content to write in all.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);
    /// <summary>Files whose content is complete.</summary>
    public long FilesDone => Interlocked.Read(ref _filesDone);
    /// <summary>Files to restore in all.</summary>
    public long TotalFiles => Interlocked.Read(ref _totalFiles);

    internal void AddPlanned(long bytes)
    {
        Interlocked.Increment(ref _totalFiles);
        Interlocked.Add(ref _totalBytes, bytes);
    }

    internal void AddWritten(long bytes) => Interlocked.Add(ref _bytesWritten, bytes);

    internal void AddFileDone() => Interlocked.Increment(ref _filesDone);
}
