using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class OddNameTests
{
    public static TheoryData<byte[]> OddNames() => new()
    {
        new byte[] { (byte)'x', 0xff, (byte)'y' },
        new byte[] { 0xc3, 0x28 },
        "line\nbreak"u8.ToArray(),
        "back\\slash"u8.ToArray(),
        " leading and trailing space "u8.ToArray(),
        Enumerable.Repeat((byte)'n', 255).ToArray(),
        Enumerable.Range(1, 255).Where(b => b != '/').Select(b => (byte)b).ToArray(),
    };

    [Theory]
    [MemberData(nameof(OddNames))]
    public void A_file_with_an_odd_name_is_created_listed_read_and_deleted_exactly(byte[] name)
    {
        using var tree = new TempTree();
        var content = "hello"u8.ToArray();
        using (var file = tree.Root.CreateFile(name, Octal.Of(644)))
        {
            file.Write(content);
        }

        var listed = Assert.Single(tree.Root.ReadNames());
        Assert.Equal(name, listed);
        var status = tree.Root.Stat(name);
        Assert.Equal(FileKind.Regular, status.Kind);
        Assert.Equal(content.Length, status.Size);
        using (var file = tree.Root.OpenFile(name))
        {
            var buffer = new byte[16];
            Assert.Equal(content.Length, file.Read(buffer));
            Assert.Equal(content, buffer[..content.Length]);
            Assert.Equal(0, file.Read(buffer));
        }

        tree.Root.Delete(name);
        Assert.Empty(tree.Root.ReadNames());
    }

    [Fact]
    public void A_directory_with_an_invalid_UTF8_name_opens_and_lists()
    {
        using var tree = new TempTree();
        byte[] name = [0xfe, (byte)'\n', 0x80];
        tree.Root.CreateDirectory(name, Octal.Of(755));
        using var child = tree.Root.OpenDirectory(name);
        child.CreateFifo([0xff], Octal.Of(600));
        Assert.Equal([0xff], Assert.Single(child.ReadNames()));
        Assert.Equal(PathBytes.Join(tree.Path, name), child.Path);

        using var again = DirectoryHandle.Open(PathBytes.Join(tree.Path, name));
        Assert.Equal(child.StatSelf().Inode, again.StatSelf().Inode);
    }

    [Fact]
    public void A_name_with_a_NUL_byte_is_refused_before_any_syscall()
    {
        using var tree = new TempTree();
        Assert.Throws<ArgumentException>(() => tree.Root.CreateDirectory("a\0b"u8, Octal.Of(755)));
    }

    [Fact]
    public void ReadNames_lists_many_entries_across_several_getdents_calls()
    {
        using var tree = new TempTree();
        var expected = new HashSet<string>();
        for (var i = 0; i < 3000; i++)
        {
            var name = PathBytes.FromString($"entry-{i:D5}-with-a-longish-name-to-fill-buffers");
            tree.Root.CreateFifo(name, Octal.Of(600));
            expected.Add(PathBytes.ToDisplay(name));
        }
        var names = tree.Root.ReadNames().Select(n => PathBytes.ToDisplay(n)).ToHashSet();
        Assert.Equal(expected, names);
        // Listing twice gives the same result: the position is reset each time.
        Assert.Equal(3000, tree.Root.ReadNames().Count);
    }
}
