namespace Cairn.Storage;

/// <summary>Checks blob names before a store turns them into paths or keys.</summary>
public static class BlobNameRules
{
    /// <summary>
    /// Throws unless the name is non-empty ASCII letters and digits. Stores map names to paths, so a name with
    /// '/' or '..' could escape the repository, and one starting with '.' could collide with a store's temp files.
    /// </summary>
    public static void ThrowIfInvalid(BlobName name)
    {
        var text = name.Name;
        if (string.IsNullOrEmpty(text) || !text.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"invalid blob name '{text}': only ASCII letters and digits are allowed", nameof(name));
        }

        if (name.Kind == BlobKind.Pack && text.Length < 2)
        {
            throw new ArgumentException($"invalid pack name '{text}': at least two characters are needed for its prefix folder", nameof(name));
        }

        if (name.Kind == BlobKind.Config && text != "config")
        {
            throw new ArgumentException($"the config blob must be named 'config', not '{text}'", nameof(name));
        }
    }
}
