using Cairn.Components.Tools;
using StackExchange.Redis;

namespace Cairn.Components.Redis;

/// <summary>
/// The keys of one database in <see cref="RedisKeyFile"/> format, produced as the stream is read: SCAN a page of keys,
/// then DUMP and PEXPIRETIME each (pipelined), then serialise them. PEXPIRETIME (Redis 7+) gives the server's own
/// absolute expiry, the same in every run (so unchanged keys export to identical bytes and deduplicate); older servers
/// get PTTL added to this machine's clock. Memory holds one page. Keys that vanish between SCAN and
/// DUMP are left out; keys written during the export may or may not be in it (SCAN's guarantee): the RDB snapshot is
/// the point-in-time copy, this export is the one that restores into a running server.
/// </summary>
internal sealed class RedisKeyExportStream(IServer server, IDatabase database, TimeProvider time) : ProducedStream
{
    private const int PageSize = 500;
    private static readonly Version s_expireTimeVersion = new(7, 0);
    private readonly MemoryStream _page = new();
    private IAsyncEnumerator<RedisKey>? _keys;
    private bool _ended;

    /// <summary>The keys written so far (all of them once the stream has been read to its end).</summary>
    public long Count { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_page.Position == _page.Length)
        {
            if (_ended) return 0;
            _page.SetLength(0);
            await FillPageAsync(cancellationToken).ConfigureAwait(false);
            _page.Position = 0;
        }
        return _page.Read(buffer.Span);
    }

    private async Task FillPageAsync(CancellationToken ct)
    {
        if (_keys is null)
        {
            _page.Write(RedisKeyFile.Magic);
            _keys = server.KeysAsync(database.Database, pageSize: PageSize).GetAsyncEnumerator(ct);
        }
        var keys = new List<RedisKey>(PageSize);
        while (keys.Count < PageSize && await _keys.MoveNextAsync().ConfigureAwait(false)) keys.Add(_keys.Current);
        if (keys.Count == 0)
        {
            RedisKeyFile.WriteEnd(_page, Count);
            _ended = true;
            return;
        }
        // All commands of the page go out before any reply is awaited: one round trip per page, not per key.
        var dumps = keys.Select(k => database.KeyDumpAsync(k)).ToArray();
        var absolute = server.Version >= s_expireTimeVersion;
        var ttls = keys.Select(k => database.ExecuteAsync(absolute ? "PEXPIRETIME" : "PTTL", k)).ToArray();
        await Task.WhenAll(Task.WhenAll(dumps), Task.WhenAll(ttls)).WaitAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < keys.Count; i++)
        {
            var payload = dumps[i].Result;
            var ttl = (long)ttls[i].Result;
            if (payload is null || ttl == -2) continue; // deleted or expired since SCAN returned it
            RedisKeyFile.Write(_page, new RedisKeyFile.Entry(keys[i]!, ttl < 0 ? -1 : absolute ? ttl : now + ttl, payload));
            Count++;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _page.Dispose();
            _keys?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }
}
