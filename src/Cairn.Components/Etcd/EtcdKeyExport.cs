using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cairn.Components.Tools;

namespace Cairn.Components.Etcd;

/// <summary>
/// Writes every key of the cluster, read page by page at one revision, as the <c>cairn-etcd-keys/1</c> JSON-lines
/// stream (see README, etcd): a header line, then one line per key with its value, revisions and lease (id, remaining
/// and granted TTL). Made while it is read, so the export never sits in memory or on disk whole.
/// </summary>
internal sealed class EtcdKeyExport
{
    /// <summary>The format name in the header line.</summary>
    public const string FormatName = "cairn-etcd-keys/1";

    private const int PageSize = 500;
    private const int MaxGroups = 100;
    private readonly EtcdGateway _gateway;
    private readonly Dictionary<long, (long Ttl, long GrantedTtl)> _leases = [];
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private byte[]? _next = [0];
    private long _revision;

    /// <summary>Exports from <paramref name="gateway"/>'s cluster.</summary>
    public EtcdKeyExport(EtcdGateway gateway) => _gateway = gateway;

    /// <summary>Keys written so far.</summary>
    public long Keys { get; private set; }

    /// <summary>The revision the export reads at (set by the first page).</summary>
    public long Revision => _revision;

    /// <summary>Key counts by first path segment ("/registry/"), for the manifest's items.</summary>
    public SortedDictionary<string, long> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>The export as a stream (read it once, to its end).</summary>
    public Stream AsStream() => new PullStream(NextPageAsync);

    /// <summary>The group a key is counted in: "/registry/" for "/registry/pods/x", "app/" for "app/x", else the key.</summary>
    public static string GroupOf(byte[] key)
    {
        var text = Encoding.UTF8.GetString(key);
        var end = text.IndexOf('/', text.StartsWith('/') ? 1 : 0);
        return end < 0 ? text : text[..(end + 1)];
    }

    private async ValueTask<ReadOnlyMemory<byte>?> NextPageAsync(CancellationToken cancellationToken)
    {
        if (_next is null) return null;
        var request = new JsonObject
        {
            ["key"] = EtcdJson.Base64(_next),
            ["range_end"] = EtcdJson.Base64([0]), // with key, "every key from here on"
            ["limit"] = PageSize,
        };
        // Every page after the first reads at the first page's revision, so the export is one consistent view.
        if (_revision != 0) request["revision"] = _revision.ToString(CultureInfo.InvariantCulture);
        var page = await _gateway.CallAsync("v3/kv/range", request, cancellationToken).ConfigureAwait(false);

        _buffer.ResetWrittenCount();
        using var json = new Utf8JsonWriter(_buffer);
        if (_revision == 0)
        {
            _revision = EtcdJson.Int64(page["header"]?["revision"]);
            json.WriteStartObject();
            json.WriteString("format", FormatName);
            json.WriteNumber("revision", _revision);
            json.WriteString("server_version", _gateway.ServerVersion);
            json.WriteEndObject();
            EndLine(json);
        }
        byte[]? last = null;
        foreach (var kv in page["kvs"]?.AsArray() ?? [])
        {
            last = EtcdJson.Bytes(kv?["key"]);
            await WriteKeyAsync(json, kv!, last, cancellationToken).ConfigureAwait(false);
        }
        _next = page["more"]?.GetValue<bool>() == true && last is not null ? [.. last, 0] : null;
        return _buffer.WrittenMemory;
    }

    private async Task WriteKeyAsync(Utf8JsonWriter json, JsonNode kv, byte[] key, CancellationToken cancellationToken)
    {
        json.WriteStartObject();
        json.WriteString("key", EtcdJson.Base64(key));
        json.WriteString("value", kv["value"]?.GetValue<string>() ?? "");
        json.WriteNumber("create_revision", EtcdJson.Int64(kv["create_revision"]));
        json.WriteNumber("mod_revision", EtcdJson.Int64(kv["mod_revision"]));
        json.WriteNumber("version", EtcdJson.Int64(kv["version"]));
        var lease = EtcdJson.Int64(kv["lease"]);
        if (lease != 0)
        {
            var (ttl, granted) = await LeaseAsync(lease, cancellationToken).ConfigureAwait(false);
            // Hex, as etcdctl prints lease ids: they exceed the 2^53 that JSON readers in JavaScript keep exact.
            json.WriteString("lease", lease.ToString("x", CultureInfo.InvariantCulture));
            json.WriteNumber("ttl", ttl);
            json.WriteNumber("granted_ttl", granted);
        }
        json.WriteEndObject();
        EndLine(json);
        Keys++;
        var group = GroupOf(key);
        if (Groups.ContainsKey(group) || Groups.Count < MaxGroups) Groups[group] = Groups.GetValueOrDefault(group) + 1;
        else Groups["(other keys)"] = Groups.GetValueOrDefault("(other keys)") + 1;
    }

    private async Task<(long, long)> LeaseAsync(long lease, CancellationToken cancellationToken)
    {
        if (_leases.TryGetValue(lease, out var known)) return known;
        var answer = await _gateway.CallAsync("v3/lease/timetolive", new JsonObject { ["ID"] = lease.ToString(CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        var found = (EtcdJson.Int64(answer["TTL"]), EtcdJson.Int64(answer["grantedTTL"]));
        _leases[lease] = found;
        return found;
    }

    private void EndLine(Utf8JsonWriter json)
    {
        json.Flush();
        _buffer.Write("\n"u8);
        json.Reset(_buffer);
    }
}
