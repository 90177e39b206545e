namespace Cairn.Content;

/// <summary>
/// What an encrypted object is. The value is bound into every object's associated data, so an object of one
/// type can never be passed off as another. The numbers are part of the repository format.
/// </summary>
public enum ObjectType : byte
{
    /// <summary>A chunk of file or stream content, stored in a pack.</summary>
    Data = 1,
    /// <summary>A directory listing (tree), stored in a pack.</summary>
    Tree = 2,
    /// <summary>The header at the end of a pack.</summary>
    PackHeader = 3,
    /// <summary>An index file.</summary>
    Index = 4,
    /// <summary>A snapshot file.</summary>
    Snapshot = 5,
    /// <summary>The repository config file.</summary>
    Config = 6,
    /// <summary>The master key wrapped inside a key file.</summary>
    KeyFile = 7,
    /// <summary>A lock file.</summary>
    Lock = 8,
}
