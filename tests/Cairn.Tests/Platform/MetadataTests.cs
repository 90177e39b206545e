using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class MetadataTests
{
    [Fact]
    public void SetTimes_round_trips_to_the_nanosecond()
    {
        using var tree = new TempTree();
        tree.Root.CreateFile("f"u8, Octal.Of(644)).Dispose();
        tree.Root.CreateSymlink("l"u8, "f"u8);
        const long access = 1_234_567_890_123_456_789;
        const long modify = 1_700_000_000_987_654_321;

        tree.Root.SetTimes("f"u8, access, modify);
        tree.Root.SetTimes("l"u8, access + 1, modify + 1);

        var file = tree.Root.Stat("f"u8);
        Assert.Equal(access, file.AccessTimeNs);
        Assert.Equal(modify, file.ModifyTimeNs);
        var link = tree.Root.Stat("l"u8);
        Assert.Equal(modify + 1, link.ModifyTimeNs);
        Assert.Equal(modify, tree.Root.Stat("f"u8).ModifyTimeNs);
    }

    [Fact]
    public void SetTimes_accepts_times_before_1970()
    {
        using var tree = new TempTree();
        tree.Root.CreateFile("f"u8, Octal.Of(644)).Dispose();
        const long before = -1_500_000_001; // 1969-12-31T23:59:58.499999999
        tree.Root.SetTimes("f"u8, before, before);
        Assert.Equal(before, tree.Root.Stat("f"u8).ModifyTimeNs);
    }

    [Fact]
    public void SetTimesSelf_sets_the_directory_times()
    {
        using var tree = new TempTree();
        tree.Root.SetTimesSelf(1_000_000_001, 2_000_000_002);
        Assert.Equal(2_000_000_002, tree.Root.StatSelf().ModifyTimeNs);
    }

    [Theory]
    [InlineData(4755)]
    [InlineData(2750)]
    [InlineData(1777)]
    [InlineData(7000)]
    [InlineData(0)]
    public void SetMode_round_trips_special_bits(int octalDigits)
    {
        var mode = Octal.Of(octalDigits);
        using var tree = new TempTree();
        tree.Root.CreateFile("f"u8, Octal.Of(600)).Dispose();
        tree.Root.CreateDirectory("d"u8, Octal.Of(700));
        tree.Root.SetMode("f"u8, mode);
        tree.Root.SetMode("d"u8, mode);
        Assert.Equal(mode, tree.Root.Stat("f"u8).Mode);
        Assert.Equal(mode, tree.Root.Stat("d"u8).Mode);
    }

    [Fact]
    public void SetMode_on_a_symlink_throws_not_supported_and_leaves_the_target_alone()
    {
        using var tree = new TempTree();
        tree.Root.CreateFile("f"u8, Octal.Of(600)).Dispose();
        tree.Root.SetMode("f"u8, Octal.Of(600));
        tree.Root.CreateSymlink("l"u8, "f"u8);
        var error = Assert.Throws<PosixException>(() => tree.Root.SetMode("l"u8, Octal.Of(777)));
        Assert.Equal(Errno.EOPNOTSUPP, error.Errno);
        Assert.Equal(Octal.Of(600), tree.Root.Stat("f"u8).Mode);
    }

    [Fact]
    public void SetOwner_then_SetMode_keeps_setuid_when_root()
    {
        if (!Accounts.IsRoot)
        {
            return; // changing ownership needs CAP_CHOWN
        }
        using var tree = new TempTree();
        tree.Root.CreateFile("f"u8, Octal.Of(600)).Dispose();
        tree.Root.CreateSymlink("l"u8, "f"u8);

        tree.Root.SetOwner("f"u8, 1234, 5678);
        tree.Root.SetMode("f"u8, Octal.Of(6755));
        tree.Root.SetOwner("l"u8, 4321, 8765);

        var file = tree.Root.Stat("f"u8);
        Assert.Equal((1234u, 5678u, Octal.Of(6755)), (file.Uid, file.Gid, file.Mode));
        var link = tree.Root.Stat("l"u8);
        Assert.Equal((4321u, 8765u), (link.Uid, link.Gid));
    }

    [Fact]
    public void User_extended_attributes_round_trip_with_binary_values()
    {
        using var tree = new TempTree();
        tree.Root.CreateFile("f"u8, Octal.Of(600)).Dispose();
        if (!XattrsSupported(tree))
        {
            return;
        }
        byte[] binary = [0, 1, 0xff, (byte)'\n', 0];
        var big = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        tree.Root.WriteExtendedAttribute("f"u8, "user.binary"u8, binary);
        tree.Root.WriteExtendedAttribute("f"u8, "user.empty"u8, default);
        tree.Root.WriteExtendedAttribute("f"u8, "user.big"u8, big);

        var attributes = tree.Root.ReadExtendedAttributes("f"u8)
            .ToDictionary(a => PathBytes.ToDisplay(a.Key), a => a.Value);
        Assert.Equal(binary, attributes["user.binary"]);
        Assert.Empty(attributes["user.empty"]);
        Assert.Equal(big, attributes["user.big"]);

        using var file = tree.Root.OpenFile("f"u8);
        Assert.Equal(3, file.ReadExtendedAttributes().Count(a => a.Key.AsSpan().StartsWith("user."u8)));
    }

    [Fact]
    public void Extended_attributes_of_the_directory_itself_and_of_a_symlink()
    {
        using var tree = new TempTree();
        if (!XattrsSupported(tree))
        {
            return;
        }
        tree.Root.WriteExtendedAttributeSelf("user.self"u8, "1"u8);
        Assert.Contains(tree.Root.ReadExtendedAttributesSelf(), a => a.Key.AsSpan().SequenceEqual("user.self"u8));

        // A symlink's own attributes are read, never its target's.
        tree.Root.CreateFile("f"u8, Octal.Of(600)).Dispose();
        tree.Root.WriteExtendedAttribute("f"u8, "user.target"u8, "1"u8);
        tree.Root.CreateSymlink("l"u8, "f"u8);
        Assert.DoesNotContain(tree.Root.ReadExtendedAttributes("l"u8), a => a.Key.AsSpan().SequenceEqual("user.target"u8));
    }

    private static bool XattrsSupported(TempTree tree)
    {
        try
        {
            tree.Root.WriteExtendedAttributeSelf("user.probe"u8, "1"u8);
            return true;
        }
        catch (PosixException e) when (e.Errno == Errno.EOPNOTSUPP)
        {
            Console.WriteLine($"skipped: the filesystem of {PathBytes.ToDisplay(tree.Path)} does not support user xattrs");
            return false;
        }
    }
}
