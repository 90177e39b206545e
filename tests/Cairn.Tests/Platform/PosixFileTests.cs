using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class PosixFileTests
{
    [Fact]
    public void A_sparse_file_has_a_hole_that_SeekData_and_SeekHole_find()
    {
        using var tree = new TempTree();
        const long far = 10L * 1024 * 1024;
        var block = Enumerable.Repeat((byte)0xab, 4096).ToArray();
        using (var file = tree.Root.CreateFile("sparse"u8, Octal.Of(600)))
        {
            file.WriteAt(block, 0);
            file.WriteAt(block, far);
        }

        using var reader = tree.Root.OpenFile("sparse"u8);
        var status = reader.Stat();
        Assert.Equal(far + 4096, status.Size);
        Assert.True(status.AllocatedBytes < status.Size, $"allocated {status.AllocatedBytes} of {status.Size}");
        Assert.Equal(0, reader.SeekData(0));
        var hole = reader.SeekHole(0);
        Assert.True(hole >= 4096 && hole < far, $"hole at {hole}");
        Assert.Equal(far, reader.SeekData(hole));
        Assert.Equal(far + 4096, reader.SeekHole(far));
        Assert.Equal(-1, reader.SeekData(far + 4096));
    }

    [Fact]
    public void SetLength_extends_with_a_hole_and_truncates()
    {
        using var tree = new TempTree();
        using var file = tree.Root.CreateFile("f"u8, Octal.Of(600));
        file.Write("abc"u8);
        file.SetLength(1 << 20);
        Assert.Equal(1 << 20, file.Stat().Size);
        file.SetLength(2);
        file.Flush();
        Assert.Equal(2, tree.Root.Stat("f"u8).Size);
    }

    [Fact]
    public void OpenFileForWrite_writes_into_an_existing_file_without_truncating()
    {
        using var tree = new TempTree();
        using (var file = tree.Root.CreateFile("f"u8, Octal.Of(600)))
        {
            file.Write("hello world"u8);
        }
        using (var file = tree.Root.OpenFileForWrite("f"u8))
        {
            file.WriteAt("W"u8, 6);
            file.SetTimes(5, 6);
        }
        using var reader = tree.Root.OpenFile("f"u8);
        var buffer = new byte[32];
        Assert.Equal("hello World"u8.ToArray(), buffer[..reader.Read(buffer)]);
        Assert.Equal(6, reader.Stat().ModifyTimeNs);
    }

    [Fact]
    public void A_missing_file_gives_ENOENT_with_a_one_line_message_naming_the_path()
    {
        using var tree = new TempTree();
        byte[] name = [(byte)'n', 0xff, (byte)'\n'];
        var error = Assert.Throws<PosixException>(() => tree.Root.OpenFile(name));
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.True(error.IsNotFound);
        Assert.Equal("open", error.Operation);
        var display = PathBytes.ToDisplay(tree.Path) + @"/n\xff\x0a";
        Assert.Equal(display, error.PathDisplay);
        Assert.Equal($"cannot open {display}: No such file or directory", error.Message);
        Assert.Equal(ExitCode.Failure, error.ExitCode);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_full_disk_maps_to_the_storage_full_exit_code() =>
        Assert.Equal(ExitCode.StorageFull, new PosixException(Errno.ENOSPC, "write", "/x").ExitCode);

    [Fact]
    public void Stat_of_a_file_reports_kind_size_and_owner()
    {
        using var tree = new TempTree();
        using (var file = tree.Root.CreateFile("f"u8, Octal.Of(600)))
        {
            file.Write(new byte[12345]);
            file.AdviseSequential();
        }
        var status = tree.Root.Stat("f"u8);
        Assert.Equal(FileKind.Regular, status.Kind);
        Assert.Equal(12345, status.Size);
        Assert.Equal(1UL, status.LinkCount);
        Assert.Equal(tree.Root.StatSelf().Device, status.Device);
        Assert.True(status.ModifyTimeNs > DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds() * 1_000_000);
    }
}
