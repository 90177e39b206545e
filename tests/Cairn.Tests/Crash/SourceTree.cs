using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Cairn.Tests.Crash;

/// <summary>
/// What a directory tree held at one moment: for each entry below the root, its kind, mode, mtime and (for files) size
/// and SHA-256, or (for symlinks) target. Cheap to keep per snapshot, so a test can compare a restore with the tree as it
/// was when that snapshot was taken without keeping a copy of the tree.
/// </summary>
internal sealed class Manifest
{
    private Manifest(SortedDictionary<string, string> entries) => Entries = entries;

    public SortedDictionary<string, string> Entries { get; }

    public long Bytes => Entries.Values.Where(v => v.StartsWith("file", StringComparison.Ordinal))
        .Sum(v => long.Parse(v.Split(' ')[3], CultureInfo.InvariantCulture));

    public static Manifest Of(string root)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Add(entries, root, new DirectoryInfo(root));
        return new Manifest(entries);
    }

    // Recursion by hand: the framework's recursive enumeration either follows symlinks to directories or hides them.
    private static void Add(SortedDictionary<string, string> entries, string root, DirectoryInfo directory)
    {
        foreach (var info in directory.EnumerateFileSystemInfos())
        {
            var relative = Path.GetRelativePath(root, info.FullName);
            var mode = Convert.ToString((int)info.UnixFileMode, 8);
            var mtime = info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);
            entries[relative] = info switch
            {
                _ when info.LinkTarget is { } target => $"link {target}",
                DirectoryInfo => $"dir {mode} {mtime}",
                FileInfo file => $"file {mode} {mtime} {file.Length.ToString(CultureInfo.InvariantCulture)} {Hash(file.FullName)}",
                _ => "other",
            };
            if (info is DirectoryInfo sub && info.LinkTarget is null) Add(entries, root, sub);
        }
    }

    /// <summary>Fails with the first differences when <paramref name="actual"/> is not the same tree.</summary>
    public void AssertSameAs(Manifest actual, string what)
    {
        var differences = new List<string>();
        foreach (var (path, expected) in Entries)
        {
            if (!actual.Entries.TryGetValue(path, out var found)) differences.Add($"{path}: missing (expected {expected})");
            else if (found != expected) differences.Add($"{path}: {found}, expected {expected}");
        }
        differences.AddRange(actual.Entries.Keys.Where(p => !Entries.ContainsKey(p)).Select(p => $"{p}: not expected"));
        Assert.True(differences.Count == 0, $"{what} differs from the source as it was, in {differences.Count} entries:\n" +
                                            string.Join('\n', differences.Take(10)));
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>
/// A seeded random source tree that changes between backups: new directories of random (incompressible, so every byte
/// is stored) files, files rewritten in place, appended to, deleted, re-moded, plus symlinks and empty directories.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SourceTree
{
    private readonly Random _random;
    private readonly Queue<string> _rounds = new();
    private int _round;

    // Files below the root, neither symlinks nor anything reached through one.
    private static readonly EnumerationOptions s_walk = new() { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };

    public SourceTree(string path, int seed)
    {
        Path = path;
        _random = new Random(seed);
        Directory.CreateDirectory(path);
    }

    public string Path { get; }

    /// <summary>Adds a directory of new files totalling <paramref name="bytes"/>, each between 16 KiB and <paramref name="maxFile"/>.</summary>
    public void AddData(long bytes, int maxFile = 4 << 20)
    {
        var dir = System.IO.Path.Combine(Path, $"round-{++_round:D2}");
        Directory.CreateDirectory(System.IO.Path.Combine(dir, "nested", "deeper"));
        Directory.CreateDirectory(System.IO.Path.Combine(dir, "empty"));
        File.CreateSymbolicLink(System.IO.Path.Combine(dir, "link"), "nested");
        _rounds.Enqueue(dir);
        long written = 0;
        for (int i = 0; written < bytes; i++)
        {
            int size = (int)Math.Min(bytes - written, _random.Next(16 << 10, maxFile));
            var sub = (i % 3) switch { 0 => dir, 1 => System.IO.Path.Combine(dir, "nested"), _ => System.IO.Path.Combine(dir, "nested", "deeper") };
            File.WriteAllBytes(System.IO.Path.Combine(sub, $"file-{i:D4}.bin"), RandomBytes(size));
            written += size;
        }
    }

    /// <summary>Rewrites, appends to, deletes and re-modes a few existing files.</summary>
    public void ChangeSome(int count = 6)
    {
        var files = Directory.GetFiles(Path, "*.bin", s_walk).Order(StringComparer.Ordinal).ToList();
        for (int i = 0; i < count && files.Count > 0; i++)
        {
            var file = files[_random.Next(files.Count)];
            files.Remove(file);
            switch (i % 4)
            {
                case 0: // same size, new content: only the content (and mtime) tells
                    File.WriteAllBytes(file, RandomBytes((int)new FileInfo(file).Length));
                    break;
                case 1:
                    using (var stream = new FileStream(file, FileMode.Append)) stream.Write(RandomBytes(_random.Next(1, 200_000)));
                    break;
                case 2:
                    File.Delete(file);
                    break;
                default:
                    File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
                    break;
            }
        }
        File.WriteAllText(System.IO.Path.Combine(Path, "notes.txt"), $"round {_round}: {_random.Next()}\n", Encoding.UTF8);
    }

    /// <summary>Deletes the oldest directory added, so the tree does not keep growing.</summary>
    public void RemoveOldest() => Directory.Delete(_rounds.Dequeue(), recursive: true);

    public Manifest Manifest() => Crash.Manifest.Of(Path);

    private byte[] RandomBytes(int length)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(length);
        _random.NextBytes(bytes);
        return bytes;
    }
}
