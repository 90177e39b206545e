namespace Cairn.Components.Tools;

/// <summary>
/// A read-only stream whose bytes come from a producer called on demand, one piece at a time (a page of keys, one
/// decoded message of an API's streamed response). Lets a component hand <see cref="IComponentBackup.AddStreamAsync"/>
/// data that is made while it is read, without a pipe, a thread or a temporary file.
/// </summary>
public sealed class PullStream : ProducedStream
{
    private readonly Func<CancellationToken, ValueTask<ReadOnlyMemory<byte>?>> _next;
    private ReadOnlyMemory<byte> _current;
    private bool _ended;
    private long _position;

    /// <summary>Creates the stream; <paramref name="next"/> returns the next piece, or null when the data ended.</summary>
    public PullStream(Func<CancellationToken, ValueTask<ReadOnlyMemory<byte>?>> next) => _next = next;

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // Empty pieces are allowed (a page with nothing to write); keep asking until there are bytes or the end.
        while (_current.IsEmpty && !_ended)
        {
            if (await _next(cancellationToken).ConfigureAwait(false) is { } piece) _current = piece;
            else _ended = true;
        }
        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        _position += n;
        return n;
    }

    /// <inheritdoc/>
    public override long Position { get => _position; set => throw new NotSupportedException(); }
}
