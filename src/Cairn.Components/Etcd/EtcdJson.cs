using System.Globalization;
using System.Text.Json.Nodes;

namespace Cairn.Components.Etcd;

/// <summary>Reading the gateway's JSON: int64 fields arrive as strings, zero and empty fields are left out.</summary>
internal static class EtcdJson
{
    /// <summary>An int64 field (a string or a number), 0 when absent.</summary>
    public static long Int64(JsonNode? node) => node switch
    {
        null => 0,
        JsonValue v when v.TryGetValue<string>(out var s) => long.Parse(s, CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        _ => throw new FormatException($"not an integer: {node.ToJsonString()}"),
    };

    /// <summary>A bytes field (base64), empty when absent.</summary>
    public static byte[] Bytes(JsonNode? node) => node is null ? [] : Convert.FromBase64String(node.GetValue<string>());

    /// <summary>Bytes as the gateway wants them in a request.</summary>
    public static string Base64(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes);
}
