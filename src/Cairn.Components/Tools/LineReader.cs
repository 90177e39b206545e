using System.Buffers;

namespace Cairn.Components.Tools;

/// <summary>
/// Reads a tool's output as lines of bytes (each with its '\n', the last one possibly without), with look-ahead, so a
/// dump can be split at marker lines as it arrives. A line is held in memory whole: dump tools bound their line
/// length (mysqldump by its net buffer or one row).
/// </summary>
internal sealed class LineReader(Stream source)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly List<byte[]> _ahead = [];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>The line <paramref name="index"/> lines ahead of the next one (0 = the next), without consuming it; null past the end.</summary>
    public async ValueTask<byte[]?> PeekAsync(int index, CancellationToken cancellationToken)
    {
        while (_ahead.Count <= index)
        {
            if (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is not { } line) return null;
            _ahead.Add(line);
        }
        return _ahead[index];
    }

    /// <summary>Consumes the next line; null at the end of the input.</summary>
    public async ValueTask<byte[]?> NextAsync(CancellationToken cancellationToken)
    {
        if (_ahead.Count > 0)
        {
            var line = _ahead[0];
            _ahead.RemoveAt(0);
            return line;
        }
        return await ReadLineAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<byte[]?> ReadLineAsync(CancellationToken cancellationToken)
    {
        ArrayBufferWriter<byte>? longLine = null;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var piece = _buffer.AsSpan(_start, newline + 1 - _start);
                _start = newline + 1;
                if (longLine is null) return piece.ToArray();
                longLine.Write(piece);
                return longLine.WrittenSpan.ToArray();
            }
            if (_end > _start)
            {
                (longLine ??= new ArrayBufferWriter<byte>()).Write(_buffer.AsSpan(_start, _end - _start));
            }
            _start = _end = 0;
            if (_eof) return longLine is null ? null : longLine.WrittenSpan.ToArray();
            var read = await source.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0) _eof = true;
            _end = read;
        }
    }
}
