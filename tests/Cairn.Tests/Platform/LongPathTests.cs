using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class LongPathTests
{
    [Fact]
    public void A_tree_deeper_than_PATH_MAX_is_created_opened_by_path_written_read_and_deleted()
    {
        using var tree = new TempTree();
        var component = Enumerable.Repeat((byte)'d', 200).ToArray();
        var directories = new List<DirectoryHandle> { tree.Root };
        try
        {
            for (var depth = 0; depth < 26; depth++)
            {
                directories[^1].CreateDirectory(component, Octal.Of(755));
                directories.Add(directories[^1].OpenDirectory(component));
            }
            var deepest = directories[^1];
            Assert.True(deepest.Path.Length > 5000, $"path is only {deepest.Path.Length} bytes");

            var data = new byte[100_000];
            new Random(42).NextBytes(data);
            using (var file = deepest.CreateFile("data"u8, Octal.Of(600)))
            {
                file.WriteAt(data, 0);
            }
            Assert.Equal(data.Length, deepest.Stat("data"u8).Size);

            // Opening by the full path must walk component by component.
            using (var byPath = DirectoryHandle.Open(deepest.Path))
            using (var file = byPath.OpenFile("data"u8))
            {
                Assert.Equal(deepest.StatSelf().Inode, byPath.StatSelf().Inode);
                var back = new byte[data.Length];
                var read = 0;
                while (read < back.Length)
                {
                    var n = file.ReadAt(back.AsSpan(read), read);
                    Assert.NotEqual(0, n);
                    read += n;
                }
                Assert.Equal(data, back);
            }

            deepest.WriteExtendedAttribute("data"u8, "user.deep"u8, "yes"u8);
            Assert.Equal("yes"u8.ToArray(), Assert.Single(deepest.ReadExtendedAttributes("data"u8)).Value);
        }
        finally
        {
            foreach (var directory in directories.Skip(1))
            {
                directory.Dispose();
            }
        }

        tree.Root.DeleteTree(component);
        Assert.Empty(tree.Root.ReadNames());
    }

    [Fact]
    public void A_long_path_that_does_not_exist_names_the_whole_path()
    {
        using var tree = new TempTree();
        var path = tree.Path;
        for (var i = 0; i < 30; i++)
        {
            path = PathBytes.Join(path, Enumerable.Repeat((byte)'m', 200).ToArray());
        }
        var error = Assert.Throws<PosixException>(() => DirectoryHandle.Open(path));
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal(PathBytes.ToDisplay(path), error.PathDisplay);
    }
}
