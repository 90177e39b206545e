namespace Cairn.Snapshots.Locking;

/// <summary>What a lock allows others to do at the same time. The JSON names are part of the repository format.</summary>
public enum LockKind
{
    /// <summary>For operations that only add to the repository (backup): any number of shared locks coexist.</summary>
    Shared,
    /// <summary>For operations that remove or rewrite (prune, repair, forget, key remove): no other lock may exist.</summary>
    Exclusive,
}
