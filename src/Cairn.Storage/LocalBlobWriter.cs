using System.Security.Cryptography;

namespace Cairn.Storage;

/// <summary>
/// Writes a blob of a local store straight into a temporary file next to its final folder, and commits it with
/// fsync and rename: a pack costs page cache while it fills, not process memory, and committing copies nothing.
/// </summary>
internal sealed class LocalBlobWriter : IBlobWriter
{
    private readonly string _root;
    private readonly string _tempPath;
    private readonly BlobName _description;
    private FileStream? _file;
    private bool _committed;

    public LocalBlobWriter(string root, BlobKind kind)
    {
        _root = root;
        _description = new BlobName(kind, "new");
        // The kind's folder (data/ for packs): listings skip both temp names and files directly in data/.
        var folder = Path.Combine(root, Path.GetDirectoryName(new BlobName(kind, "00").Path)!);
        if (kind == BlobKind.Pack) folder = Path.GetDirectoryName(folder)!;
        _tempPath = Path.Combine(folder, LocalBlobStore.TempPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
    }

    public long Length { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        try
        {
            _file ??= Open();
            _file.Write(data);
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "write", _description, _tempPath, _root);
        }
        Length += data.Length;
    }

    public Task CommitAsync(BlobName name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_committed, this);
        BlobNameRules.ThrowIfInvalid(name);
        var path = Path.Combine(_root, name.Path);
        try
        {
            _file ??= Open();
            _file.Flush(flushToDisk: true);
            _file.Dispose();
            var directory = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(directory)) LocalBlobStore.CreateDirectories(directory);
            CrashPoints.Reached(CrashPoints.PutTempWritten);
            // rename(2) replaces the final name atomically, so readers see no blob or the whole blob.
            File.Move(_tempPath, path, overwrite: true);
            DirectorySync.Flush(directory);
            _committed = true;
        }
        catch (Exception e) when (LocalIoErrors.IsIoError(e))
        {
            throw LocalIoErrors.Map(e, "write", name, path, _root);
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _file?.Dispose();
        if (!_committed)
        {
            try
            {
                File.Delete(_tempPath);
            }
            catch (Exception e) when (LocalIoErrors.IsIoError(e))
            {
                // A leftover temp file is skipped by listings; the error that got us here is the one worth reporting.
            }
        }
        return ValueTask.CompletedTask;
    }

    private FileStream Open()
    {
        var folder = Path.GetDirectoryName(_tempPath)!;
        if (!Directory.Exists(folder)) LocalBlobStore.CreateDirectories(folder);
        // No FileStream buffer: blobs arrive in pieces of about a chunk, each worth one write(2).
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = LocalBlobStore.FileMode;
        return new FileStream(_tempPath, options);
    }
}
