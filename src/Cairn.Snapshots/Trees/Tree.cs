namespace Cairn.Snapshots.Trees;

/// <summary>A directory listing: nodes sorted by name bytes (ordinal), so equal directories encode to equal trees.</summary>
public sealed class Tree
{
    /// <summary>Creates a tree; the nodes are sorted by name.</summary>
    public Tree(List<Node> nodes)
    {
        nodes.Sort(static (a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        Nodes = nodes;
    }

    /// <summary>The entries, sorted by name bytes.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>Finds an entry by exact name, or null.</summary>
    public Node? Find(ReadOnlySpan<byte> name)
    {
        int lo = 0, hi = Nodes.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = Nodes[mid].Name.AsSpan().SequenceCompareTo(name);
            if (c == 0) return Nodes[mid];
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return null;
    }
}
