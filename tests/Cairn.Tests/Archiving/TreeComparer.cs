using Cairn.Platform;

namespace Cairn.Tests.Archiving;

/// <summary>Compares two directory trees entry by entry: kind, content, metadata, link targets, xattrs and hardlink structure.</summary>
internal static class TreeComparer
{
    /// <summary>Returns the differences, one line each; empty means identical.</summary>
    public static List<string> Compare(byte[] expected, byte[] actual, bool compareOwners)
    {
        var differences = new List<string>();
        var expectedLinks = new Dictionary<(ulong, ulong), string>();
        var actualLinks = new Dictionary<(ulong, ulong), string>();
        using var a = DirectoryHandle.Open(expected);
        using var b = DirectoryHandle.Open(actual);
        CompareDirectory(a, b, "", differences, compareOwners, expectedLinks, actualLinks);
        return differences;
    }

    private static void CompareDirectory(DirectoryHandle a, DirectoryHandle b, string path, List<string> diffs, bool owners,
        Dictionary<(ulong, ulong), string> aLinks, Dictionary<(ulong, ulong), string> bLinks)
    {
        var aNames = a.ReadNames().Select(n => PathBytes.ToDisplay(n)).Order(StringComparer.Ordinal).ToList();
        var bNames = b.ReadNames().Select(n => PathBytes.ToDisplay(n)).Order(StringComparer.Ordinal).ToList();
        foreach (var missing in aNames.Except(bNames)) diffs.Add($"missing: {path}/{missing}");
        foreach (var extra in bNames.Except(aNames)) diffs.Add($"extra: {path}/{extra}");
        foreach (var display in aNames.Intersect(bNames))
        {
            var name = PathBytes.FromDisplay(display);
            var p = path + "/" + display;
            var sa = a.Stat(name);
            var sb = b.Stat(name);
            void Check<T>(string what, T x, T y)
            {
                if (!EqualityComparer<T>.Default.Equals(x, y)) diffs.Add($"{what} differs: {p}: {x} vs {y}");
            }
            Check("kind", sa.Kind, sb.Kind);
            if (sa.Kind != sb.Kind) continue;
            if (sa.Kind != FileKind.Symlink) Check("mode", sa.Mode, sb.Mode);
            if (owners)
            {
                Check("uid", sa.Uid, sb.Uid);
                Check("gid", sa.Gid, sb.Gid);
            }
            if (sa.Kind != FileKind.Directory) Check("mtime", sa.ModifyTimeNs, sb.ModifyTimeNs);
            var xa = string.Join(",", a.ReadExtendedAttributes(name).Select(kv => PathBytes.ToDisplay(kv.Key) + "=" + Convert.ToHexString(kv.Value)).Order(StringComparer.Ordinal));
            var xb = string.Join(",", b.ReadExtendedAttributes(name).Select(kv => PathBytes.ToDisplay(kv.Key) + "=" + Convert.ToHexString(kv.Value)).Order(StringComparer.Ordinal));
            Check("xattrs", xa, xb);
            switch (sa.Kind)
            {
                case FileKind.Regular:
                    Check("size", sa.Size, sb.Size);
                    if (sa.AllocatedBytes < sa.Size / 2 && sb.AllocatedBytes > sa.AllocatedBytes + (1 << 20)) diffs.Add($"holes filled: {p}: {sa.AllocatedBytes} vs {sb.AllocatedBytes} bytes allocated");
                    if (sa.LinkCount > 1)
                    {
                        // Names that share an inode in the source must share one in the restore, and vice versa.
                        if (aLinks.TryGetValue((sa.Device, sa.Inode), out var first)) Check("hardlink", first, bLinks.GetValueOrDefault((sb.Device, sb.Inode)));
                        else { aLinks[(sa.Device, sa.Inode)] = p; bLinks[(sb.Device, sb.Inode)] = p; }
                    }
                    using (var fa = a.OpenFile(name))
                    using (var fb = b.OpenFile(name))
                        if (!SameContent(fa, fb)) diffs.Add($"content differs: {p}");
                    break;
                case FileKind.Symlink:
                    Check("target", PathBytes.ToDisplay(a.ReadLink(name)), PathBytes.ToDisplay(b.ReadLink(name)));
                    break;
                case FileKind.CharDevice:
                case FileKind.BlockDevice:
                    Check("rdev", sa.RDev, sb.RDev);
                    break;
                case FileKind.Directory:
                    using (var da = a.OpenDirectory(name))
                    using (var db = b.OpenDirectory(name))
                        CompareDirectory(da, db, p, diffs, owners, aLinks, bLinks);
                    Check("mtime", sa.ModifyTimeNs, sb.ModifyTimeNs);
                    break;
            }
        }
    }

    private static bool SameContent(PosixFile a, PosixFile b)
    {
        var ba = new byte[1 << 16];
        var bb = new byte[1 << 16];
        while (true)
        {
            int na = ReadFull(a, ba);
            int nb = ReadFull(b, bb);
            if (na != nb || !ba.AsSpan(0, na).SequenceEqual(bb.AsSpan(0, nb))) return false;
            if (na == 0) return true;
        }
    }

    private static int ReadFull(PosixFile f, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = f.Read(buffer.AsSpan(total));
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
