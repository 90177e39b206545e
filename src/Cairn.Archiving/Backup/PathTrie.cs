namespace Cairn.Archiving.Backup;

/// <summary>The backup paths as a tree of path components, so several paths share their common ancestors in the snapshot.</summary>
internal sealed class PathTrie
{
    /// <summary>Children by component name, in byte order.</summary>
    public SortedList<byte[], PathTrie> Children { get; } = new(Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b)));

    /// <summary>True if this path itself was named for backup (then everything below it is included).</summary>
    public bool IsTarget { get; private set; }

    public static PathTrie Build(IEnumerable<byte[]> absolutePaths)
    {
        var root = new PathTrie();
        foreach (var path in absolutePaths)
        {
            var node = root;
            foreach (var component in Cairn.Platform.PathBytes.Split(path))
            {
                if (node.IsTarget) break;
                if (!node.Children.TryGetValue(component, out var child)) node.Children.Add(component, child = new PathTrie());
                node = child;
            }
            if (node == root) throw new CairnException("backing up / itself is not supported yet: name the directories below it", ExitCode.Usage);
            node.IsTarget = true;
            node.Children.Clear();
        }
        return root;
    }
}
