using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class SpecialEntryTests
{
    public static TheoryData<byte[]> OddTargets() => new()
    {
        "../../etc/passwd"u8.ToArray(),
        "/absolute/target"u8.ToArray(),
        "does not exist\nreally"u8.ToArray(),
        new byte[] { (byte)'a', 0xff, (byte)'\\', 0xc3, 0x28 },
        Enumerable.Repeat((byte)'t', 4000).ToArray(),
    };

    [Theory]
    [MemberData(nameof(OddTargets))]
    public void A_symlink_target_round_trips_byte_for_byte(byte[] target)
    {
        using var tree = new TempTree();
        tree.Root.CreateSymlink("link"u8, target);
        Assert.Equal(target, tree.Root.ReadLink("link"u8));
        var status = tree.Root.Stat("link"u8);
        Assert.Equal(FileKind.Symlink, status.Kind);
        Assert.Equal(target.Length, status.Size);
    }

    [Fact]
    public void Opening_a_symlink_as_a_file_or_directory_fails()
    {
        using var tree = new TempTree();
        tree.Root.CreateDirectory("real"u8, Octal.Of(755));
        tree.Root.CreateSymlink("link"u8, "real"u8);
        Assert.Equal(Errno.ELOOP, Assert.Throws<PosixException>(() => tree.Root.OpenFile("link"u8)).Errno);
        Assert.Throws<PosixException>(() => tree.Root.OpenDirectory("link"u8));
        Assert.Throws<PosixException>(() => DirectoryHandle.Open(PathBytes.Join(tree.Path, "link"u8), followSymlinks: false));
        using var followed = DirectoryHandle.Open(PathBytes.Join(tree.Path, "link"u8));
        Assert.Equal(tree.Root.Stat("real"u8).Inode, followed.StatSelf().Inode);
    }

    [Fact]
    public void A_hard_link_shares_the_inode_and_counts_two_links()
    {
        using var tree = new TempTree();
        tree.Root.CreateDirectory("sub"u8, Octal.Of(755));
        using var sub = tree.Root.OpenDirectory("sub"u8);
        using (var file = tree.Root.CreateFile("original"u8, Octal.Of(644)))
        {
            file.Write("x"u8);
        }
        sub.CreateHardLink("linked"u8, tree.Root, "original"u8);

        var original = tree.Root.Stat("original"u8);
        var linked = sub.Stat("linked"u8);
        Assert.Equal(original.Inode, linked.Inode);
        Assert.Equal(original.Device, linked.Device);
        Assert.Equal(2UL, linked.LinkCount);
    }

    [Fact]
    public void A_fifo_is_created_with_its_kind()
    {
        using var tree = new TempTree();
        tree.Root.CreateFifo("pipe"u8, Octal.Of(640));
        var status = tree.Root.Stat("pipe"u8);
        Assert.Equal(FileKind.Fifo, status.Kind);
        Assert.Equal(Octal.Of(640) & ~Octal.Of(22), status.Mode & Octal.Of(640) & ~Octal.Of(22));
    }

    [Fact]
    public void A_char_device_is_created_with_its_device_number_when_root()
    {
        if (!Accounts.IsRoot)
        {
            return; // mknod of a device needs CAP_MKNOD
        }
        using var tree = new TempTree();
        var rdev = DeviceNumber.Make(1, 3);
        tree.Root.CreateDevice("null"u8, FileKind.CharDevice, Octal.Of(666), rdev);
        var status = tree.Root.Stat("null"u8);
        Assert.Equal(FileKind.CharDevice, status.Kind);
        Assert.Equal(rdev, status.RDev);
        Assert.Equal(rdev, DirectoryHandle.Open("/dev").Stat("null"u8).RDev);
    }

    [Fact]
    public void Rename_moves_an_entry_between_directories()
    {
        using var tree = new TempTree();
        tree.Root.CreateDirectory("sub"u8, Octal.Of(755));
        using var sub = tree.Root.OpenDirectory("sub"u8);
        tree.Root.CreateFifo("a"u8, Octal.Of(600));
        tree.Root.Rename("a"u8, sub, "b"u8);
        Assert.Equal("b"u8.ToArray(), Assert.Single(sub.ReadNames()));
    }

    [Fact]
    public void CreateDirectory_accepts_an_existing_directory_only_when_asked()
    {
        using var tree = new TempTree();
        tree.Root.CreateDirectory("d"u8, Octal.Of(755));
        tree.Root.CreateDirectory("d"u8, Octal.Of(755), ignoreExisting: true);
        Assert.Equal(Errno.EEXIST, Assert.Throws<PosixException>(() => tree.Root.CreateDirectory("d"u8, Octal.Of(755))).Errno);
        tree.Root.CreateFifo("f"u8, Octal.Of(600));
        Assert.Throws<PosixException>(() => tree.Root.CreateDirectory("f"u8, Octal.Of(755), ignoreExisting: true));
    }
}
