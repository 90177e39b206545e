using Cairn.Platform;
using Cairn.Snapshots.Trees;

namespace Cairn.Tests.Archiving;

/// <summary>
/// The archiver and restorer cast between the platform's FileKind and the format's NodeKind; the two enums live in
/// different layers on purpose, so this pins that every kind has the same number in both.
/// </summary>
public sealed class KindMappingTests
{
    [Fact]
    public void Every_file_kind_has_the_same_number_as_its_node_kind()
    {
        var pairs = new (FileKind File, NodeKind Node)[]
        {
            (FileKind.Regular, NodeKind.File), (FileKind.Directory, NodeKind.Directory), (FileKind.Symlink, NodeKind.Symlink),
            (FileKind.Fifo, NodeKind.Fifo), (FileKind.CharDevice, NodeKind.CharDevice), (FileKind.BlockDevice, NodeKind.BlockDevice),
            (FileKind.Socket, NodeKind.Socket),
        };
        Assert.Equal(Enum.GetValues<FileKind>().Length, pairs.Length);
        Assert.Equal(Enum.GetValues<NodeKind>().Length, pairs.Length);
        foreach (var (file, node) in pairs) Assert.Equal((byte)file, (byte)node);
    }
}
