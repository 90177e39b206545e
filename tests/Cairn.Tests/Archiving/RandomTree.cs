using Cairn.Platform;
using Cairn.Tests.Platform;

namespace Cairn.Tests.Archiving;

/// <summary>
/// Builds a seeded random directory tree full of the things backup tools get wrong: non-UTF-8 names, newlines and
/// backslashes in names, long names, deep nesting, empty files and directories, multi-chunk files, sparse files,
/// symlinks, hardlinks, FIFOs, device nodes, special mode bits, owners, nanosecond times and extended attributes.
/// </summary>
internal static class RandomTree
{
    private static readonly byte[][] s_oddNames =
    [
        [0xff, 0xfe, (byte)'x'],
        [(byte)'a', 0xc3, 0x28, (byte)'b'],
        "line\nbreak"u8.ToArray(),
        "back\\slash"u8.ToArray(),
        "spaces and\ttab"u8.ToArray(),
        "ünïcödé-名前"u8.ToArray(),
        Enumerable.Repeat((byte)'L', 250).ToArray(), // with the "-N" suffix: near the 255-byte limit
        "-starts-with-dash"u8.ToArray(),
    ];

    public static void Build(DirectoryHandle root, int seed, int files = 40, bool large = true)
    {
        var random = new Random(seed);
        int counter = 0;
        byte[] NextName()
        {
            counter++;
            return random.Next(4) == 0 ? [.. s_oddNames[random.Next(s_oddNames.Length)], .. "-"u8, .. System.Text.Encoding.ASCII.GetBytes(counter.ToString(System.Globalization.CultureInfo.InvariantCulture))]
                : System.Text.Encoding.ASCII.GetBytes("f" + counter);
        }

        var dirs = new List<DirectoryHandle> { root };
        try
        {
            // A few nested directories, one of them deep.
            for (int i = 0; i < 6; i++)
            {
                var parent = dirs[random.Next(dirs.Count)];
                var name = NextName();
                parent.CreateDirectory(name, Octal.Of(755));
                dirs.Add(parent.OpenDirectory(name));
            }
            var deep = dirs[^1];
            for (int i = 0; i < 20; i++)
            {
                var name = Enumerable.Repeat((byte)('a' + i), 200).ToArray();
                deep.CreateDirectory(name, Octal.Of(700));
                var next = deep.OpenDirectory(name);
                dirs.Add(next);
                deep = next;
            }
            var firstFiles = new List<(DirectoryHandle Dir, byte[] Name)>();
            for (int i = 0; i < files; i++)
            {
                var dir = dirs[random.Next(dirs.Count)];
                var name = NextName();
                int size = random.Next(10) switch
                {
                    0 => 0,
                    1 when large => random.Next(1_000_000, 3_000_000),
                    _ => random.Next(1, 20_000),
                };
                var data = new byte[size];
                // Half compressible text, half random bytes.
                if (random.Next(2) == 0) random.NextBytes(data);
                else for (int j = 0; j < size; j++) data[j] = (byte)"the quick brown fox jumps\n"[(j + i) % 26];
                using (var f = dir.CreateFile(name, Octal.Of(644)))
                    f.Write(data);
                dir.SetMode(name, random.Next(6) == 0 ? Octal.Of(4755) : random.Next(5) == 0 ? Octal.Of(600) : Octal.Of(644));
                if (random.Next(4) == 0) dir.WriteExtendedAttribute(name, "user.cairn.test"u8, System.Text.Encoding.ASCII.GetBytes("value-" + i));
                if (Accounts.IsRoot && random.Next(3) == 0) dir.SetOwner(name, (uint)random.Next(1000, 60000), (uint)random.Next(1000, 60000));
                dir.SetTimes(name, 1_600_000_000_000_000_000L + random.NextInt64(1_000_000_000_000_000), 1_500_000_000_000_000_000L + random.NextInt64(1_000_000_000_000_000_000));
                firstFiles.Add((dir, name));
            }
            // Hardlinks to some files, possibly in other directories.
            for (int i = 0; i < 3 && firstFiles.Count > 0; i++)
            {
                var (dir, name) = firstFiles[random.Next(firstFiles.Count)];
                dirs[random.Next(dirs.Count)].CreateHardLink(NextName(), dir, name);
            }
            // A sparse file: data, a 20 MiB hole, data.
            using (var sparse = root.CreateFile("sparse"u8, Octal.Of(640)))
            {
                sparse.WriteAt("head"u8, 0);
                sparse.WriteAt(new byte[8192].Select((_, k) => (byte)k).ToArray(), 20L << 20);
                sparse.SetLength(30L << 20);
            }
            root.CreateSymlink("link-to-f1"u8, "f1"u8);
            root.CreateSymlink("dangling\nlink"u8, [0xff, (byte)'/', (byte)'n', (byte)'o']);
            root.CreateDirectory("empty-dir"u8, Octal.Of(1777));
            root.CreateFifo("fifo"u8, Octal.Of(620));
            if (Accounts.IsRoot) root.CreateDevice("null-device"u8, FileKind.CharDevice, Octal.Of(666), DeviceNumber.Make(1, 3));
            // Directory times last: creating entries changes them.
            foreach (var dir in dirs.Skip(1)) dir.SetTimesSelf(1_400_000_000_123_456_789L, 1_400_000_000_987_654_321L + random.Next(1000));
        }
        finally
        {
            foreach (var dir in dirs.Skip(1)) dir.Dispose();
        }
    }
}
