namespace Cairn.Archiving.Backup;

/// <summary>Live counters of a running backup, updated by the workers and read by progress displays.</summary>
public sealed class BackupProgress
{
    private long _filesNew, _filesChanged, _filesUnchanged, _dirsNew, _dirsChanged, _dirsUnchanged, _entries, _totalBytes, _bytesRead, _warnings, _coldParentTrees;

    /// <summary>Files not in the parent snapshot.</summary>
    public long FilesNew => Interlocked.Read(ref _filesNew);
    /// <summary>Files whose metadata changed since the parent, so they were read again.</summary>
    public long FilesChanged => Interlocked.Read(ref _filesChanged);
    /// <summary>Files taken from the parent without reading.</summary>
    public long FilesUnchanged => Interlocked.Read(ref _filesUnchanged);
    /// <summary>Directories not in the parent snapshot.</summary>
    public long DirsNew => Interlocked.Read(ref _dirsNew);
    /// <summary>Directories whose listing changed.</summary>
    public long DirsChanged => Interlocked.Read(ref _dirsChanged);
    /// <summary>Directories whose listing did not change.</summary>
    public long DirsUnchanged => Interlocked.Read(ref _dirsUnchanged);
    /// <summary>Entries seen so far.</summary>
    public long Entries => Interlocked.Read(ref _entries);
    /// <summary>Sum of the sizes of the files seen so far.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);
    /// <summary>Bytes read from files so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);
    /// <summary>Files skipped or stored inexactly so far.</summary>
    public long Warnings => Interlocked.Read(ref _warnings);

    internal void AddFile(FileChange change, long size)
    {
        Interlocked.Increment(ref change == FileChange.New ? ref _filesNew : ref change == FileChange.Changed ? ref _filesChanged : ref _filesUnchanged);
        Interlocked.Add(ref _totalBytes, size);
    }

    internal void AddDirectory(FileChange change) =>
        Interlocked.Increment(ref change == FileChange.New ? ref _dirsNew : ref change == FileChange.Changed ? ref _dirsChanged : ref _dirsUnchanged);

    internal void AddEntry() => Interlocked.Increment(ref _entries);

    internal void AddBytesRead(long bytes) => Interlocked.Add(ref _bytesRead, bytes);

    /// <summary>
    /// Directory listings of the parent snapshot that are in an archived pack (an older repository's mixed pack, archived
    /// by a lifecycle rule): their directories were backed up as if new, reading every file.
    /// </summary>
    public long ColdParentTrees => Interlocked.Read(ref _coldParentTrees);

    internal void AddWarning() => Interlocked.Increment(ref _warnings);

    internal void AddColdParentTree() => Interlocked.Increment(ref _coldParentTrees);
}

/// <summary>How an entry compares with the parent snapshot.</summary>
internal enum FileChange
{
    New,
    Changed,
    Unchanged,
}
