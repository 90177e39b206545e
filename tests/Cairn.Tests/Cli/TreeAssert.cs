using System.Text;
using Cairn.Platform;

namespace Cairn.Tests.Cli;

/// <summary>diff -r plus metadata: same names, kinds, bytes, modes, mtimes (ns) and symlink targets.</summary>
internal static class TreeAssert
{
    public static void Equal(string expected, string actual)
    {
        var e = Names(expected);
        Assert.Equal(e, Names(actual));
        using var ed = DirectoryHandle.Open(expected);
        using var ad = DirectoryHandle.Open(actual);
        foreach (var name in e)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var es = ed.Stat(nameBytes);
            var st = ad.Stat(nameBytes);
            var where = Path.Combine(actual, name);
            Assert.True(es.Kind == st.Kind, $"{where}: kind {st.Kind}, expected {es.Kind}");
            Assert.True(es.Mode == st.Mode, $"{where}: mode {Convert.ToString(st.Mode, 8)}, expected {Convert.ToString(es.Mode, 8)}");
            Assert.True(es.ModifyTimeNs == st.ModifyTimeNs, $"{where}: mtime {st.ModifyTimeNs}, expected {es.ModifyTimeNs}");
            switch (es.Kind)
            {
                case FileKind.Regular:
                    Assert.True(File.ReadAllBytes(Path.Combine(expected, name)).AsSpan().SequenceEqual(File.ReadAllBytes(where)), $"{where}: content differs");
                    break;
                case FileKind.Symlink:
                    Assert.Equal(ed.ReadLink(nameBytes), ad.ReadLink(nameBytes));
                    break;
                case FileKind.Directory:
                    Equal(Path.Combine(expected, name), where);
                    break;
            }
        }
    }

    private static List<string> Names(string dir) =>
        [.. Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(n => n!)];
}
