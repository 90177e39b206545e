using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cairn.Components.Etcd;

/// <summary>
/// Puts the keys of a <c>cairn-etcd-keys/1</c> export back into a live cluster, in transactions of up to 100 puts.
/// Keys that had a lease get a new lease (one per original lease) with the original granted TTL, so they expire as
/// they would have unless their owner comes back and keeps them alive. Keys not in the export are left alone.
/// </summary>
internal static class EtcdKeyImport
{
    // etcd refuses transactions with more than --max-txn-ops (default 128) operations.
    private const int PutsPerTransaction = 100;

    /// <summary>What an import did.</summary>
    public sealed record Result(long Keys, long LeasedKeys, long Leases);

    /// <summary>Imports the keys of <paramref name="export"/> that start with <paramref name="prefix"/> (all when null).</summary>
    public static async Task<Result> ImportAsync(EtcdGateway gateway, Stream export, byte[]? prefix, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(export);
        var header = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (header is null || Parse(header)["format"]?.GetValue<string>() != EtcdKeyExport.FormatName)
            throw new IntegrityException("the etcd key export", $"it does not start with a {EtcdKeyExport.FormatName} header line");

        var leases = new Dictionary<string, long>(StringComparer.Ordinal);
        var puts = new JsonArray();
        long keys = 0, leased = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) continue;
            var entry = Parse(line);
            var key = EtcdJson.Bytes(entry["key"]);
            if (prefix is not null && !key.AsSpan().StartsWith(prefix)) continue;
            var put = new JsonObject { ["key"] = EtcdJson.Base64(key), ["value"] = entry["value"]?.GetValue<string>() ?? "" };
            if (entry["lease"]?.GetValue<string>() is { } lease)
            {
                if (!leases.TryGetValue(lease, out var renewed))
                {
                    renewed = await GrantAsync(gateway, entry, cancellationToken).ConfigureAwait(false);
                    leases[lease] = renewed;
                }
                put["lease"] = renewed.ToString(CultureInfo.InvariantCulture);
                leased++;
            }
            puts.Add(new JsonObject { ["request_put"] = put });
            keys++;
            if (puts.Count == PutsPerTransaction) puts = await CommitAsync(gateway, puts, cancellationToken).ConfigureAwait(false);
        }
        if (puts.Count > 0) await CommitAsync(gateway, puts, cancellationToken).ConfigureAwait(false);
        return new Result(keys, leased, leases.Count);
    }

    private static async Task<long> GrantAsync(EtcdGateway gateway, JsonNode entry, CancellationToken cancellationToken)
    {
        var granted = EtcdJson.Int64(entry["granted_ttl"]);
        var ttl = granted > 0 ? granted : Math.Max(1, EtcdJson.Int64(entry["ttl"]));
        var answer = await gateway.CallAsync("v3/lease/grant", new JsonObject { ["TTL"] = ttl.ToString(CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        return EtcdJson.Int64(answer["ID"]);
    }

    private static async Task<JsonArray> CommitAsync(EtcdGateway gateway, JsonArray puts, CancellationToken cancellationToken)
    {
        await gateway.CallAsync("v3/kv/txn", new JsonObject { ["success"] = puts }, cancellationToken).ConfigureAwait(false);
        return [];
    }

    private static JsonNode Parse(string line)
    {
        try
        {
            return JsonNode.Parse(line) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new IntegrityException("the etcd key export", $"a line is not JSON: {e.Message}");
        }
    }
}
