using Cairn.Components.Tools;
namespace Cairn.Components.Redis;

/// <summary>
/// Passes <c>redis-cli --rdb -</c>'s stdout through, minus the 40-byte end-of-transfer mark a diskless transfer appends:
/// redis-cli removes that mark with ftruncate, which cannot work on a pipe, so on stdout it stays. The last 49 bytes
/// are held back until the end; they are the mark when the last 40 are lowercase hex and the 49th from the end is
/// RDB's end opcode 0xFF (an RDB itself ends with 0xFF and an 8-byte checksum, which is not all hex digits).
/// Also fails when the data does not start with RDB's "REDIS" magic.
/// </summary>
internal sealed class RdbStream(Stream inner) : ProducedStream
{
    private const int MarkLength = 40;
    private const int Held = MarkLength + 9;
    private readonly byte[] _data = new byte[Held + 64 * 1024];
    private readonly byte[] _head = new byte[5];
    private byte[] _out = [];
    private int _outStart;
    private int _outEnd;
    private int _held;
    private int _headCount;
    private bool _innerEnded;
    private bool _finished;

    /// <summary>Bytes passed on so far.</summary>
    public long Written { get; private set; }

    /// <summary>Whether the mark was found and removed.</summary>
    public bool MarkRemoved { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_outEnd > _outStart)
            {
                var n = Math.Min(buffer.Length, _outEnd - _outStart);
                _out.AsSpan(_outStart, n).CopyTo(buffer.Span);
                _outStart += n;
                Written += n;
                return n;
            }
            if (_finished) return 0;
            if (_innerEnded)
            {
                Finish();
                continue;
            }
            var read = await inner.ReadAsync(_data.AsMemory(_held), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _innerEnded = true;
                continue;
            }
            for (var i = 0; _headCount < _head.Length && i < read; i++) _head[_headCount++] = _data[_held + i];
            var total = _held + read;
            var emit = total - Held;
            if (emit > 0)
            {
                _out = _data.AsSpan(0, emit).ToArray();
                (_outStart, _outEnd) = (0, emit);
                Array.Copy(_data, emit, _data, 0, Held);
                _held = Held;
            }
            else
            {
                _held = total;
            }
        }
    }

    private void Finish()
    {
        _finished = true;
        if (_headCount < _head.Length || !_head.AsSpan().SequenceEqual("REDIS"u8))
            throw new ComponentFailedException("redis-cli --rdb did not send an RDB file (its output does not start with 'REDIS')");
        var keep = _held;
        if (_held == Held && _data[0] == 0xFF && _data.AsSpan(Held - MarkLength, MarkLength).IndexOfAnyExcept("0123456789abcdef"u8) < 0)
        {
            keep -= MarkLength;
            MarkRemoved = true;
        }
        _out = _data.AsSpan(0, keep).ToArray();
        (_outStart, _outEnd) = (0, keep);
    }
}
