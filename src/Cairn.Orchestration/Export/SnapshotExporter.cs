using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Cairn.Content;
using Cairn.Orchestration.Jobs;
using Cairn.Platform;
using Cairn.Snapshots;
using Cairn.Snapshots.Trees;

namespace Cairn.Orchestration.Export;

/// <summary>
/// Writes a snapshot (or one component of a job snapshot) as a self-contained tar archive that opens without Cairn:
/// metadata.json first, then the files below data/ as PAX entries with modes, owners, modification times, symlinks,
/// hardlinks, FIFOs and device nodes. The content is read twice: once to checksum every file for metadata.json (which
/// must come first, so a reader finds it without unpacking the rest, and so damaged data stops the export before any
/// archive exists), once to write it. The archive streams through gzip or zstd into a hidden temporary file in the
/// output directory, renamed to its final, never-overwritten name only when complete.
/// </summary>
public sealed class SnapshotExporter
{
    /// <summary>The archive directory the snapshot's files are below.</summary>
    public const string DataDirectory = "data";

    /// <summary>The first entry of every archive.</summary>
    public const string MetadataName = "metadata.json";

    private readonly Repository _repository;
    private readonly Snapshot _snapshot;
    private readonly ExportOptions _options;
    private readonly List<Planned> _entries = [];
    private readonly Dictionary<(ulong Device, ulong Inode), Planned> _linkTargets = [];
    private readonly List<string> _warnings = [];
    private IReadOnlyList<SnapshotComponent> _components = [];
    private int _binaryAttributes;
    private bool _planned;

    /// <summary>Prepares an export of <paramref name="snapshot"/>.</summary>
    public SnapshotExporter(Repository repository, Snapshot snapshot, ExportOptions options)
    {
        _repository = repository;
        _snapshot = snapshot;
        _options = options;
    }

    /// <summary>Live counters for progress displays.</summary>
    public ExportProgress Progress { get; } = new();

    /// <summary>
    /// Writes the archive and returns where. A missing output directory is a usage error, a component the snapshot
    /// lacks is <see cref="ExitCode.NotFound"/>, damaged data an <see cref="IntegrityException"/>; in every failure no
    /// archive (and no temporary file) is left behind.
    /// </summary>
    public async Task<ExportResult> RunAsync(CancellationToken cancellationToken)
    {
        var directory = OutputDirectory(_options.OutputDirectory);

        await PlanAsync(cancellationToken).ConfigureAwait(false);
        await ChecksumAsync(cancellationToken).ConfigureAwait(false);
        var metadata = BuildMetadata(_components).ToJson();

        var baseName = ArchiveNames.BaseName(_snapshot, _options.Component);
        var extension = _options.Format.Extension();
        var (finalPath, suffix) = ArchiveNames.FirstFree(directory, baseName, extension);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(finalPath)}.partial-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        long archiveBytes;
        try
        {
            archiveBytes = await WriteArchiveAsync(temporary, metadata, cancellationToken).ConfigureAwait(false);
            finalPath = Publish(temporary, directory, baseName, extension, finalPath, suffix);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        var files = _entries.Where(e => e.Type == TarEntryType.RegularFile).ToList();
        return new ExportResult(finalPath, files.Count, files.Sum(f => f.Node!.Size), archiveBytes, _warnings);
    }

    /// <summary>The full path of an existing output directory; a usage error naming it when it does not exist.</summary>
    public static string OutputDirectory(string path)
    {
        var directory = Path.GetFullPath(path);
        return Directory.Exists(directory) ? directory
            : throw new CairnException($"the output directory {directory} does not exist (or is not a directory): create it first", ExitCode.Usage);
    }

    /// <summary>
    /// The packs the export reads data from, found by walking the snapshot's trees without reading any file, so a
    /// command can find out which of them are archived (cold storage) before it writes anything.
    /// </summary>
    public async Task<IReadOnlyCollection<ObjectId>> FindPacksAsync(CancellationToken cancellationToken)
    {
        await PlanAsync(cancellationToken).ConfigureAwait(false);
        var packs = new HashSet<ObjectId>();
        foreach (var entry in _entries.Where(e => e.Type == TarEntryType.RegularFile))
            foreach (var id in entry.Node!.Content ?? [])
                if (_repository.Content.Index.TryGet(id, out var location)) packs.Add(location.PackId);
        return packs;
    }

    private async Task PlanAsync(CancellationToken cancellationToken)
    {
        if (_planned) return;
        _components = _snapshot.Components;
        var dataDirectory = new Planned(DataDirectory + "/", null, TarEntryType.Directory, null);
        _entries.Add(dataDirectory);
        if (_options.Component is { } name)
        {
            var component = await ComponentRestore.OpenAsync(_repository, _snapshot, name, null, cancellationToken).ConfigureAwait(false);
            _components = [component.Recorded];
            var path = DataDirectory + "/" + component.Recorded.Path;
            _entries.Add(new Planned(path + "/", null, TarEntryType.Directory, null));
            await PlanTreeAsync(component.DirectoryTree, path, Encoding.UTF8.GetBytes(path), false, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await PlanTreeAsync(_snapshot.Tree, DataDirectory, Encoding.UTF8.GetBytes(DataDirectory), false, cancellationToken).ConfigureAwait(false);
        }
        if (_binaryAttributes > 0)
            _warnings.Add($"{_binaryAttributes} extended attributes (such as POSIX ACLs) have binary values, which tar's PAX headers cannot carry: they were left out (cairn restore keeps them)");

        _planned = true;
    }

    // Walks a tree depth first in name order, planning one archive entry per node. The exact bytes of a path are kept
    // only when some name in it is not UTF-8.
    private async Task PlanTreeAsync(ObjectId treeId, string prefix, byte[] rawPrefix, bool escapedAbove, CancellationToken cancellationToken)
    {
        var tree = await _repository.LoadTreeAsync(treeId, cancellationToken).ConfigureAwait(false);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in tree.Nodes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = ArchiveNames.EntryName(node.Name, out bool escaped);
            // An escaped name could equal a sibling's real one; neither may shadow the other in the archive.
            while (!taken.Add(name)) name += "~";
            var path = prefix + "/" + name;
            var rawPath = PathBytes.Join(rawPrefix, node.Name);
            var raw = escaped || escapedAbove ? rawPath : null;
            if (escaped) _warnings.Add($"{path}: the name is not UTF-8; the archive shows its invalid bytes as \\xNN and metadata.json has its exact bytes");
            if ((node.Flags & NodeFlags.DataLost) != 0)
                _warnings.Add($"{path}: part of its data was lost from the repository (see cairn repair); the archive holds what remains");
            switch (node.Kind)
            {
                case NodeKind.Directory:
                    _entries.Add(new Planned(path + "/", node, TarEntryType.Directory, raw));
                    await PlanTreeAsync(node.Subtree, path, rawPath, escaped || escapedAbove, cancellationToken).ConfigureAwait(false);
                    break;
                case NodeKind.File when node.LinkCount > 1 && node.Inode != 0 && _linkTargets.TryGetValue((node.Device, node.Inode), out var first):
                    _entries.Add(new Planned(path, node, TarEntryType.HardLink, raw) { LinkTarget = first });
                    break;
                case NodeKind.File:
                    var file = new Planned(path, node, TarEntryType.RegularFile, raw);
                    if (node.LinkCount > 1 && node.Inode != 0) _linkTargets[(node.Device, node.Inode)] = file;
                    _entries.Add(file);
                    Progress.TotalBytes += node.Size;
                    break;
                case NodeKind.Symlink:
                    _ = ArchiveNames.EntryName(node.LinkTarget ?? [], out bool badTarget);
                    if (badTarget) _warnings.Add($"{path}: the symlink's target is not UTF-8; the archive shows its invalid bytes as \\xNN");
                    _entries.Add(new Planned(path, node, TarEntryType.SymbolicLink, raw));
                    break;
                case NodeKind.Fifo:
                    _entries.Add(new Planned(path, node, TarEntryType.Fifo, raw));
                    break;
                case NodeKind.CharDevice:
                    _entries.Add(new Planned(path, node, TarEntryType.CharacterDevice, raw));
                    break;
                case NodeKind.BlockDevice:
                    _entries.Add(new Planned(path, node, TarEntryType.BlockDevice, raw));
                    break;
                default:
                    _warnings.Add($"{path}: a Unix socket belongs to a running process and has no place in an archive: left out");
                    break;
            }
        }
    }

    private async Task ChecksumAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in _entries)
        {
            if (entry.Type != TarEntryType.RegularFile) continue;
            await using var content = OpenContent(entry);
            entry.Sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false));
            Progress.BytesChecksummed += entry.Node!.Size;
        }
    }

    private async Task<long> WriteArchiveAsync(string path, byte[] metadata, CancellationToken cancellationToken)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            var compressed = _options.Format.Compress(file);
            await using (compressed.ConfigureAwait(false))
            {
                var tar = new TarWriter(compressed, TarEntryFormat.Pax, leaveOpen: true);
                await using (tar.ConfigureAwait(false))
                {
                    var exported = _options.Time.GetUtcNow();
                    var head = new PaxTarEntry(TarEntryType.RegularFile, MetadataName)
                    {
                        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                        ModificationTime = exported,
                        DataStream = new MemoryStream(metadata, writable: false),
                    };
                    await tar.WriteEntryAsync(head, cancellationToken).ConfigureAwait(false);
                    foreach (var entry in _entries) await WriteEntryAsync(tar, entry, cancellationToken).ConfigureAwait(false);
                }
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
            return file.Length;
        }
    }

    private async Task WriteEntryAsync(TarWriter tar, Planned planned, CancellationToken cancellationToken)
    {
        var node = planned.Node;
        var entry = new PaxTarEntry(planned.Type, planned.Path, node is null ? [] : Attributes(node));
        if (node is null)
        {
            // The data/ and component directories are not nodes of the snapshot; they get its time.
            entry.Mode = (UnixFileMode)0x1ED; // 0755
            entry.ModificationTime = _snapshot.Time;
            await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            return;
        }
        entry.Mode = (UnixFileMode)(node.Mode & 0xFFF);
        entry.ModificationTime = DateTimeOffset.UnixEpoch.AddTicks(node.ModifyTimeNs / 100);
        entry.Uid = node.Uid <= int.MaxValue ? (int)node.Uid : 65534;
        entry.Gid = node.Gid <= int.MaxValue ? (int)node.Gid : 65534;
        entry.UserName = node.User ?? "";
        entry.GroupName = node.Group ?? "";
        switch (planned.Type)
        {
            case TarEntryType.HardLink:
                entry.LinkName = planned.LinkTarget!.Path;
                break;
            case TarEntryType.SymbolicLink:
                entry.LinkName = ArchiveNames.EntryName(node.LinkTarget ?? [], out _);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                entry.DeviceMajor = (int)DeviceNumber.Major(node.RDev);
                entry.DeviceMinor = (int)DeviceNumber.Minor(node.RDev);
                break;
            case TarEntryType.RegularFile:
                var data = new TarDataStream(OpenContent(planned), node.Size);
                await using (data.ConfigureAwait(false))
                {
                    entry.DataStream = data;
                    await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                    // Content is addressed by hash, so this never differs unless memory or the code is broken; checking it costs little.
                    if (data.Sha256() != planned.Sha256)
                        throw new IntegrityException($"file {planned.Path} of snapshot {_snapshot.Id.ToShortString()}", "it read differently the second time");
                }
                Progress.BytesWritten += node.Size;
                return;
        }
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    // Extended attributes go in as SCHILY.xattr records (GNU tar --xattrs, bsdtar and star read them); PAX records
    // are text, so attributes with binary values (POSIX ACLs among them) cannot be carried and are counted instead.
    private Dictionary<string, string> Attributes(Node node)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in node.ExtendedAttributes ?? [])
        {
            var name = ArchiveNames.EntryName(key, out bool badName);
            var text = ArchiveNames.EntryName(value, out bool badValue);
            if (badName || badValue || text.Contains('\0', StringComparison.Ordinal) || name.Contains('=', StringComparison.Ordinal)) _binaryAttributes++;
            else attributes["SCHILY.xattr." + name] = text;
        }
        return attributes;
    }

    private StoredFileStream OpenContent(Planned entry) =>
        new(_repository.Content, entry.Node!, $"file {entry.Path} of snapshot {_snapshot.Id.ToShortString()}");

    // Moves the finished archive to its name without ever replacing a file: if another export took the name meanwhile,
    // the next free suffix is used.
    private static string Publish(string temporary, string directory, string baseName, string extension, string path, int suffix)
    {
        while (true)
        {
            try
            {
                File.Move(temporary, path, overwrite: false);
                return path;
            }
            catch (IOException) when (File.Exists(path))
            {
                (path, suffix) = ArchiveNames.FirstFree(directory, baseName, extension, suffix + 1);
            }
        }
    }

    private ExportMetadata BuildMetadata(IReadOnlyList<SnapshotComponent> components)
    {
        var files = new List<ExportedFile>();
        long directories = 0, symlinks = 0, other = 0, hardlinks = 0;
        foreach (var entry in _entries)
        {
            switch (entry.Type)
            {
                case TarEntryType.RegularFile:
                    files.Add(new ExportedFile { Path = entry.Path, Size = entry.Node!.Size, Sha256 = entry.Sha256!, RawPathBase64 = Raw(entry) });
                    break;
                case TarEntryType.HardLink:
                    hardlinks++;
                    var target = entry.LinkTarget!;
                    files.Add(new ExportedFile { Path = entry.Path, Size = entry.Node!.Size, Sha256 = target.Sha256!, LinkTo = target.Path, RawPathBase64 = Raw(entry) });
                    break;
                case TarEntryType.Directory: directories++; break;
                case TarEntryType.SymbolicLink: symlinks++; break;
                default: other++; break;
            }
        }
        var regular = _entries.Where(e => e.Type == TarEntryType.RegularFile).ToList();
        return new ExportMetadata
        {
            Exported = _options.Time.GetUtcNow(),
            CairnVersion = ProgramInfo.Version,
            Snapshot = new ExportedSnapshot
            {
                Id = _snapshot.Id.ToString(),
                Time = _snapshot.Time,
                Hostname = _snapshot.Hostname,
                Username = _snapshot.Username,
                Job = _snapshot.Job,
                Instance = _snapshot.Instance,
                Environment = _snapshot.Environment,
                Tags = _snapshot.Tags,
                Paths = _snapshot.Paths,
                Status = _snapshot.Status,
                ProgramVersion = _snapshot.ProgramVersion,
                Summary = _snapshot.Summary,
            },
            Component = _options.Component,
            Components = components,
            Totals = new ExportTotals(regular.Count, regular.Sum(e => e.Node!.Size), hardlinks, directories, symlinks, other),
            Files = files,
            Warnings = _warnings,
        };
    }

    private static string? Raw(Planned entry) => entry.RawPath is null ? null : Convert.ToBase64String(entry.RawPath);

    private sealed class Planned(string path, Node? node, TarEntryType type, byte[]? rawPath)
    {
        public string Path { get; } = path;
        public Node? Node { get; } = node;
        public TarEntryType Type { get; } = type;
        public byte[]? RawPath { get; } = rawPath;
        public Planned? LinkTarget { get; init; }
        public string? Sha256 { get; set; }
    }
}

/// <summary>Counters of a running export, for progress displays (written by the export, read by anyone).</summary>
public sealed class ExportProgress
{
    /// <summary>Bytes of file content to export.</summary>
    public long TotalBytes { get; internal set; }
    /// <summary>Bytes read for the checksums in metadata.json (the first pass).</summary>
    public long BytesChecksummed { get; internal set; }
    /// <summary>Bytes written into the archive (the second pass).</summary>
    public long BytesWritten { get; internal set; }
}
