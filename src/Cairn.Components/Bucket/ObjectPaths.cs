using System.Security.Cryptography;
using System.Text;

namespace Cairn.Components.Bucket;

/// <summary>
/// Where each object is stored in the component's directory. A key that can be a path is stored at
/// <c>objects/KEY</c>, so the snapshot reads like the bucket; any other key (empty, "." or ".." segments, a leading or
/// trailing '/', "//", a segment longer than 255 bytes, or a key that is also the "folder" of another key, such as
/// "a" beside "a/b") at <c>escaped/SHA256-OF-KEY</c>. The manifest maps every key to its path, so restore never decodes.
/// </summary>
public static class ObjectPaths
{
    /// <summary>The directory of objects stored at their keys.</summary>
    public const string ObjectsDirectory = "objects";

    /// <summary>The directory of objects whose keys cannot be paths.</summary>
    public const string EscapedDirectory = "escaped";

    /// <summary>The manifest: one JSON object per line and per object (<see cref="ObjectRecord"/>).</summary>
    public const string ManifestFile = "objects.jsonl";

    private const int MaxSegmentBytes = 255;

    /// <summary>The stored path of each key in <paramref name="keys"/> (distinct keys).</summary>
    public static Dictionary<string, string> Assign(IReadOnlyCollection<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys.Where(IsPathLike))
        {
            for (var slash = key.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = key.IndexOf('/', slash + 1))
            {
                folders.Add(key[..slash]);
            }
        }

        var paths = new Dictionary<string, string>(keys.Count, StringComparer.Ordinal);
        foreach (var key in keys)
        {
            paths[key] = IsPathLike(key) && !folders.Contains(key) ? ObjectsDirectory + "/" + key : EscapedPath(key);
        }

        return paths;
    }

    /// <summary>The path of a key that cannot be stored at itself.</summary>
    public static string EscapedPath(string key) =>
        EscapedDirectory + "/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static bool IsPathLike(string key) =>
        key.Length > 0 && !key.Contains('\0', StringComparison.Ordinal) &&
        key.Split('/').All(segment => segment.Length > 0 && segment is not ("." or "..") && Encoding.UTF8.GetByteCount(segment) <= MaxSegmentBytes);
}
