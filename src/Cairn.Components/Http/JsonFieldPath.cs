using System.Text.Json.Nodes;

namespace Cairn.Components.Http;

/// <summary>
/// A small JSON path as the http component's options write them: fields separated by '.', and "[*]" for every element
/// of an array ("apps[*].id", "[*].uid", "meta.folderUid"). A leading "$" or "$." is allowed and ignored.
/// </summary>
public sealed class JsonFieldPath
{
    private readonly IReadOnlyList<string?> _segments; // a field name, or null for "[*]"

    private JsonFieldPath(string text, IReadOnlyList<string?> segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The path as written.</summary>
    public string Text { get; }

    /// <summary>The last segment when it is a field ("id" of "apps[*].id"), else null.</summary>
    public string? LastField => _segments.Count > 0 ? _segments[^1] : null;

    /// <summary>Whether the path has a "[*]" (selects many values rather than one).</summary>
    public bool HasWildcard => _segments.Contains(null);

    /// <summary>Parses a path; a malformed one is a usage error naming <paramref name="option"/>.</summary>
    public static JsonFieldPath Parse(string text, string option)
    {
        var rest = text.Trim();
        if (rest.StartsWith('$')) rest = rest[1..].TrimStart('.');
        var segments = new List<string?>();
        int i = 0;
        while (i < rest.Length)
        {
            if (rest.AsSpan(i).StartsWith("[*]"))
            {
                segments.Add(null);
                i += 3;
            }
            else
            {
                int end = rest.IndexOfAny(['.', '['], i);
                if (end < 0) end = rest.Length;
                if (end == i) throw new CairnException($"{option} '{text}' is not a path like 'apps[*].id' (empty field at {i + 1})", ExitCode.Usage);
                segments.Add(rest[i..end]);
                i = end;
            }
            if (i < rest.Length && rest[i] == '.')
            {
                i++;
                if (i == rest.Length) throw new CairnException($"{option} '{text}' ends with '.'", ExitCode.Usage);
            }
            else if (i < rest.Length && rest[i] != '[')
            {
                throw new CairnException($"{option} '{text}' is not a path like 'apps[*].id'", ExitCode.Usage);
            }
        }
        return new JsonFieldPath(text, segments);
    }

    /// <summary>The path without its last field ("[*]" of "[*].Key"): what selects the objects the field is read from.</summary>
    public JsonFieldPath WithoutLastField() =>
        LastField is null ? this : new JsonFieldPath(Text, _segments.Take(_segments.Count - 1).ToList());

    /// <summary>Every value the path selects; a missing field selects nothing, a JSON null selects null.</summary>
    public IEnumerable<JsonNode?> Select(JsonNode? root)
    {
        IEnumerable<JsonNode?> current = [root];
        foreach (var segment in _segments)
        {
            current = segment is null
                ? current.SelectMany(n => n is JsonArray a ? a : Enumerable.Empty<JsonNode?>())
                : current.SelectMany(n => n is JsonObject o && o.TryGetPropertyValue(segment, out var v) ? [v] : Enumerable.Empty<JsonNode?>());
        }
        return current;
    }

    /// <summary>Removes what the path names from <paramref name="root"/> (every match, when it has "[*]").</summary>
    public void Remove(JsonNode root)
    {
        if (LastField is not { } field) return;
        foreach (var parent in WithoutLastField().Select(root))
            (parent as JsonObject)?.Remove(field);
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
