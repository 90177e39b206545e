using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class SelfOperationTests
{
    [Fact]
    public void Mode_and_owner_of_the_directory_itself_and_of_an_open_file_are_set_through_the_descriptor()
    {
        using var tree = new TempTree();
        tree.Root.CreateDirectory("d"u8, Octal.Of(700));
        using (var d = tree.Root.OpenDirectory("d"u8))
        {
            if (Accounts.IsRoot)
            {
                d.SetOwnerSelf(1234, 5678);
            }
            d.SetModeSelf(Octal.Of(3755));
        }
        using (var file = tree.Root.CreateFile("f"u8, Octal.Of(600)))
        {
            if (Accounts.IsRoot)
            {
                file.SetOwner(1234, 5678);
            }
            file.SetMode(Octal.Of(4711));
        }

        Assert.Equal(Octal.Of(3755), tree.Root.Stat("d"u8).Mode);
        Assert.Equal(Octal.Of(4711), tree.Root.Stat("f"u8).Mode);
        if (Accounts.IsRoot)
        {
            Assert.Equal(5678u, tree.Root.Stat("d"u8).Gid);
            Assert.Equal(1234u, tree.Root.Stat("f"u8).Uid);
        }
    }

    [Fact]
    public void OpenParent_splits_off_the_last_component()
    {
        using var tree = new TempTree();
        tree.Root.CreateFifo([0xff], Octal.Of(600));
        using var parent = DirectoryHandle.OpenParent(PathBytes.Join(tree.Path, [0xff]), out var name);
        Assert.Equal([0xff], name);
        Assert.Equal(FileKind.Fifo, parent.Stat(name).Kind);
        Assert.Throws<ArgumentException>(() => DirectoryHandle.OpenParent("/"u8, out _));
    }

    [Fact]
    public void Handles_can_be_used_from_many_threads_at_once()
    {
        using var tree = new TempTree();
        Parallel.For(0, 200, i =>
        {
            var name = PathBytes.FromString($"f{i}");
            using (var file = tree.Root.CreateFile(name, Octal.Of(600)))
            {
                file.Write(new byte[i]);
            }
            Assert.Equal(i, tree.Root.Stat(name).Size);
            Assert.True(tree.Root.ReadNames().Count > 0);
        });
        Assert.Equal(200, tree.Root.ReadNames().Count);
    }
}
