using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cairn.Components.Http;

/// <summary>One stored document restore replays: the item's name and the bytes backup stored for it.</summary>
public sealed record HttpStoredItem(string Name, byte[] Body);

/// <summary>One request restore sends.</summary>
public sealed record HttpReplay(string Item, HttpMethod Method, string Url, byte[] Body, string ContentType);

/// <summary>
/// Turns stored responses into the requests restore sends (pure, so the presets' plans are tested without their
/// servers): which items, in which order, to which URL, with which body.
/// </summary>
public static class HttpRestorePlanner
{
    /// <summary>The item names in an index body: the items path's values (JSON) or its non-empty lines.</summary>
    public static IReadOnlyList<string> IndexItems(HttpRequestPlan plan, byte[] body, string what)
    {
        IEnumerable<string> names;
        if (plan.IndexFormat == HttpIndexFormat.Lines)
        {
            names = Encoding.UTF8.GetString(body).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
        }
        else
        {
            var root = Web.WebApi.ParseJson(body, what);
            names = plan.Items!.Select(root).Select(n => HttpTemplate.Text(n)
                ?? throw new ComponentFailedException($"{what}: '{plan.Items}' selects {(n is null ? "null" : n.ToJsonString()[..Math.Min(60, n.ToJsonString().Length)])}, not an item name"));
        }
        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The items of one stored answer that holds them (a split request): each element the items path selects.</summary>
    public static IReadOnlyList<HttpStoredItem> SplitItems(HttpRequestPlan plan, byte[] body, string what)
    {
        var root = Web.WebApi.ParseJson(body, what);
        var field = plan.ItemField!;
        return plan.Items!.WithoutLastField().Select(root).Select((element, i) =>
        {
            var name = element is JsonObject o && o.TryGetPropertyValue(field, out var v) ? HttpTemplate.Text(v) : null;
            return new HttpStoredItem(name ?? throw new ComponentFailedException($"{what}: element {i} has no '{field}'"),
                Encoding.UTF8.GetBytes(element!.ToJsonString()));
        }).ToList();
    }

    /// <summary>Whether an item name matches --key: a glob when it has '*' or '?', else the name itself or a prefix of it.</summary>
    public static bool Matches(string item, string? pattern)
    {
        if (pattern is null) return true;
        if (pattern.IndexOfAny(['*', '?']) < 0) return item.StartsWith(pattern, StringComparison.Ordinal);
        var regex = "^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$";
        return Regex.IsMatch(item, regex, RegexOptions.Singleline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// The requests that put <paramref name="items"/> back, those matching <paramref name="key"/> only. Items sent to a
    /// restore_url_if URL come after the others (Chronos: dependent jobs after the scheduled ones they depend on).
    /// </summary>
    public static IReadOnlyList<HttpReplay> Plan(HttpRequestPlan plan, IEnumerable<HttpStoredItem> items, string? key)
    {
        if (plan.RestoreMethod == HttpRestoreMethod.None) return [];
        var method = plan.RestoreMethod switch
        {
            HttpRestoreMethod.Post => HttpMethod.Post,
            HttpRestoreMethod.Patch => HttpMethod.Patch,
            _ => HttpMethod.Put,
        };
        var first = new List<HttpReplay>();
        var later = new List<HttpReplay>();
        foreach (var item in items.Where(i => Matches(i.Name, key)))
        {
            var document = NeedsDocument(plan) ? Web.WebApi.ParseJson(item.Body, $"stored item '{item.Name}' of request '{plan.Name}'") : null;
            var conditional = document is null ? null : plan.RestoreUrlIf.FirstOrDefault(c => IsPresent(HttpTemplate.Field(document, c.Key))).Value;
            var url = HttpTemplate.ExpandUrl(conditional ?? plan.RestoreUrl!, name => Value(plan, item, document, name));
            var replay = new HttpReplay(item.Name, method, url, Body(plan, item, document), plan.RestoreContentType);
            (conditional is null ? first : later).Add(replay);
        }
        return [.. first, .. later];
    }

    private static bool NeedsDocument(HttpRequestPlan plan) =>
        plan.RestoreBody is not null || plan.RestoreRemove.Count > 0 || plan.RestoreUrlIf.Count > 0
        || HttpTemplate.Names(plan.RestoreUrl!).Any(n => !IsItemName(plan, n));

    private static bool IsItemName(HttpRequestPlan plan, string placeholder) => placeholder == "item" || placeholder == plan.ItemField;

    private static string Value(HttpRequestPlan plan, HttpStoredItem item, JsonNode? document, string placeholder)
    {
        if (IsItemName(plan, placeholder)) return item.Name;
        return HttpTemplate.Text(HttpTemplate.Field(document!, placeholder))
            ?? throw new ComponentFailedException($"stored item '{item.Name}' of request '{plan.Name}' has no value for {{{placeholder}}} in its restore URL");
    }

    private static byte[] Body(HttpRequestPlan plan, HttpStoredItem item, JsonNode? document)
    {
        if (document is null || (plan.RestoreBody is null && plan.RestoreRemove.Count == 0)) return item.Body; // byte for byte
        foreach (var path in plan.RestoreRemove) path.Remove(document);
        const string base64Prefix = "base64:";
        if (plan.RestoreBody is { } body && body.StartsWith(base64Prefix, StringComparison.Ordinal))
        {
            var text = HttpTemplate.Text(HttpTemplate.Field(document, body[base64Prefix.Length..].Trim().Trim('{', '}')));
            try
            {
                return text is null ? [] : Convert.FromBase64String(text);
            }
            catch (FormatException e)
            {
                throw new ComponentFailedException($"stored item '{item.Name}' of request '{plan.Name}': {body} is not base64", e);
            }
        }
        return plan.RestoreBody is null ? Encoding.UTF8.GetBytes(document.ToJsonString()) : HttpTemplate.ExpandBody(plan.RestoreBody, document);
    }

    private static bool IsPresent(JsonNode? node) => node switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length > 0,
        JsonValue v => v.GetValueKind() != System.Text.Json.JsonValueKind.Null,
        _ => true,
    };
}
