using System.Net.Http.Headers;
using System.Text;

namespace Cairn.Components.Http;

/// <summary>
/// Where the http component stores each response in its directory, and back: a single GET is "NAME.EXT"; a
/// list-then-fetch is "NAME/_index.EXT" plus "NAME/ITEM.EXT" per item, the item name percent-encoded (so "/web/api"
/// is "%2Fweb%2Fapi.json"). EXT follows the response's Content-Type: .json, .txt (text/*) or .bin.
/// </summary>
public static class HttpFileNames
{
    private const string IndexStem = "_index";

    /// <summary>The extension for a response of that media type.</summary>
    public static string Extension(MediaTypeHeaderValue? contentType) => contentType?.MediaType switch
    {
        null => ".bin",
        var t when t.Equals("application/json", StringComparison.OrdinalIgnoreCase) || t.EndsWith("+json", StringComparison.OrdinalIgnoreCase) => ".json",
        var t when t.StartsWith("text/", StringComparison.OrdinalIgnoreCase) => ".txt",
        _ => ".bin",
    };

    /// <summary>The file of a single GET.</summary>
    public static string Single(HttpRequestPlan plan, string extension) => plan.Name + extension;

    /// <summary>The file of a list-then-fetch's index.</summary>
    public static string Index(HttpRequestPlan plan, string extension) => $"{plan.Name}/{IndexStem}{extension}";

    /// <summary>The file of one fetched item.</summary>
    public static string Item(HttpRequestPlan plan, string item, string extension) => $"{plan.Name}/{Escape(item)}{extension}";

    /// <summary>Whether <paramref name="path"/> is the stored answer of the single GET <paramref name="plan"/>.</summary>
    public static bool IsSingle(HttpRequestPlan plan, string path) => !path.Contains('/', StringComparison.Ordinal) && Stem(path) == plan.Name;

    /// <summary>The item name stored in <paramref name="path"/> by a list-then-fetch, or null (the index, another request's file).</summary>
    public static string? ItemOf(HttpRequestPlan plan, string path)
    {
        var prefix = plan.Name + "/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var file = path[prefix.Length..];
        if (file.Contains('/', StringComparison.Ordinal)) return null;
        var stem = Stem(file);
        return stem == IndexStem ? null : Uri.UnescapeDataString(stem);
    }

    // Percent-encoding keeps every name a single safe file name and reversible; a leading '.' or '_' is encoded too,
    // so no item is ".", ".." or the index.
    private static string Escape(string item)
    {
        var escaped = Uri.EscapeDataString(item);
        if (escaped.StartsWith('.')) return "%2E" + escaped[1..];
        if (escaped.StartsWith('_')) return "%5F" + escaped[1..];
        return escaped;
    }

    private static string Stem(string file)
    {
        int dot = file.LastIndexOf('.');
        return dot > 0 ? file[..dot] : file;
    }
}
