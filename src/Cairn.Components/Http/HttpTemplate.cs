using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Components.Http;

/// <summary>Expands the http component's templates: "{name}" placeholders in URLs and in JSON bodies.</summary>
public static partial class HttpTemplate
{
    [GeneratedRegex(@"\{([^{}""]+)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*\{([^{}""]+)\}\s*$")]
    private static partial Regex WholePlaceholder();

    /// <summary>The placeholder names in a template, in order.</summary>
    public static IEnumerable<string> Names(string template) => Placeholder().Matches(template).Select(m => m.Groups[1].Value);

    /// <summary>
    /// Expands a URL template: a value in the path is escaped segment by segment (its '/' stay), in the query as a
    /// whole. A value's leading '/' is dropped where the template already has one ("/v2/apps/{id}" with "/web" is
    /// "/v2/apps/web"), because APIs such as Marathon name items with absolute paths.
    /// </summary>
    public static string ExpandUrl(string template, Func<string, string> valueOf)
    {
        var result = new StringBuilder();
        int last = 0;
        foreach (Match m in Placeholder().Matches(template))
        {
            result.Append(template, last, m.Index - last);
            var value = valueOf(m.Groups[1].Value);
            bool inQuery = template.IndexOf('?', StringComparison.Ordinal) is var q && q >= 0 && q < m.Index;
            if (inQuery)
            {
                result.Append(Uri.EscapeDataString(value));
            }
            else
            {
                if (result.Length > 0 && result[^1] == '/') value = value.TrimStart('/');
                result.Append(string.Join('/', value.Split('/').Select(Uri.EscapeDataString)));
            }
            last = m.Index + m.Length;
        }
        result.Append(template, last, template.Length - last);
        return result.ToString();
    }

    /// <summary>
    /// The body made from a body template and a document: "{a.b}" alone is that field's JSON; otherwise the template is
    /// JSON whose string values "{a.b}" become those fields (null when missing) and whose other placeholders in strings
    /// are replaced by the fields' text.
    /// </summary>
    public static byte[] ExpandBody(string template, JsonNode document)
    {
        if (WholePlaceholder().Match(template) is { Success: true } whole)
            return Encoding.UTF8.GetBytes(Field(document, whole.Groups[1].Value)?.ToJsonString() ?? "null");
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(template);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CairnException($"restore_body '{template}' is neither \"{{field}}\" nor JSON: {e.Message}", ExitCode.Usage, e);
        }
        return Encoding.UTF8.GetBytes(Fill(parsed, document)?.ToJsonString() ?? "null");
    }

    /// <summary>The value at a dotted field path of <paramref name="document"/>, or null.</summary>
    public static JsonNode? Field(JsonNode document, string path) =>
        JsonFieldPath.Parse(path, "placeholder").Select(document).FirstOrDefault();

    /// <summary>A scalar's text (a string without quotes, a number or bool as written); null for missing, null or structured values.</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.GetValueKind() is System.Text.Json.JsonValueKind.Null => null,
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    private static JsonNode? Fill(JsonNode? template, JsonNode document)
    {
        switch (template)
        {
            case JsonObject o:
                var obj = new JsonObject();
                foreach (var (k, v) in o) obj[k] = Fill(v, document);
                return obj;
            case JsonArray a:
                return new JsonArray(a.Select(e => Fill(e, document)).ToArray());
            case JsonValue v when v.TryGetValue<string>(out var s):
                if (WholePlaceholder().Match(s) is { Success: true } whole) return Field(document, whole.Groups[1].Value)?.DeepClone();
                return JsonValue.Create(Placeholder().Replace(s, m => Text(Field(document, m.Groups[1].Value)) ?? ""));
            default:
                return template?.DeepClone();
        }
    }
}
