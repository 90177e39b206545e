using System.Security.Cryptography;
using Cairn.Content;
using Cairn.Maintenance.Repair;
using Cairn.Snapshots.Trees;

namespace Cairn.Tests.Maintenance;

/// <summary>How repair rewrites a file that lost chunks: holes where lengths are known, a cut where one is not.</summary>
public sealed class RepairSalvageTests
{
    private static readonly ObjectId[] s_chunks = [.. Enumerable.Range(0, 3).Select(i => new ObjectId(SHA256.HashData([(byte)i])))];

    private static Node File(long size, List<Extent>? extents = null) => new()
    {
        Name = "f"u8.ToArray(),
        Kind = NodeKind.File,
        Size = size,
        Mode = 0x1A4,
        Content = [.. s_chunks],
        Extents = extents,
    };

    // Chunks are 10, 20 and 30 bytes; "unknown" ones have no index entry.
    private static Func<ObjectId, long?> Lengths(params int[] unknown) =>
        id => Array.IndexOf(s_chunks, id) is var i && unknown.Contains(i) ? null : (i + 1) * 10;

    [Fact]
    public void A_file_that_lost_nothing_is_left_alone()
    {
        Assert.Null(FileSalvage.Salvage(File(60), new HashSet<ObjectId>(), Lengths()));
    }

    [Fact]
    public void A_lost_chunk_of_known_length_becomes_a_hole_and_the_size_stays()
    {
        var (node, message) = FileSalvage.Salvage(File(60), new HashSet<ObjectId> { s_chunks[1] }, Lengths())!.Value;
        Assert.Equal([s_chunks[0], s_chunks[2]], node.Content);
        Assert.Equal([new Extent(0, 10), new Extent(30, 30)], node.Extents);
        Assert.Equal(60, node.Size);
        Assert.Equal(NodeFlags.DataLost, node.Flags);
        Assert.Equal(0x1A4u, node.Mode);
        Assert.Contains("20 lost bytes restore as zeros", message);
    }

    [Fact]
    public void A_lost_chunk_of_unknown_length_cuts_the_file_where_it_began()
    {
        var (node, message) = FileSalvage.Salvage(File(60), new HashSet<ObjectId> { s_chunks[1] }, Lengths(1))!.Value;
        Assert.Equal([s_chunks[0]], node.Content);
        Assert.Null(node.Extents); // still dense: the first 10 bytes are all there is
        Assert.Equal(10, node.Size);
        Assert.Contains("cut to 10 bytes (was 60)", message);

        // A known lost chunk before the unknown one is a hole inside what is kept.
        (node, _) = FileSalvage.Salvage(File(60), new HashSet<ObjectId> { s_chunks[0], s_chunks[2] }, Lengths(2))!.Value;
        Assert.Equal([s_chunks[1]], node.Content);
        Assert.Equal([new Extent(10, 20)], node.Extents);
        Assert.Equal(30, node.Size);
    }

    [Fact]
    public void A_sparse_file_keeps_its_holes_and_the_lost_range_maps_through_its_extents()
    {
        // 60 bytes of content fill two extents of 30: [0, 30) and [100, 130); the file is 200 bytes.
        var sparse = File(200, [new Extent(0, 30), new Extent(100, 30)]);
        var (node, _) = FileSalvage.Salvage(sparse, new HashSet<ObjectId> { s_chunks[1] }, Lengths())!.Value;
        // Chunk 1 covered content [10, 30): file [10, 30). Chunk 2 covered content [30, 60): file [100, 130).
        Assert.Equal([new Extent(0, 10), new Extent(100, 30)], node.Extents);
        Assert.Equal(200, node.Size);

        (node, _) = FileSalvage.Salvage(sparse, new HashSet<ObjectId> { s_chunks[2] }, Lengths(2))!.Value;
        Assert.Equal([new Extent(0, 30)], node.Extents);
        Assert.Equal(100, node.Size); // cut where chunk 2's content began: the start of the second extent
        Assert.Equal(NodeFlags.None, sparse.Flags); // the original entry is untouched
    }
}
