namespace Cairn.Storage;

/// <summary>
/// Paces bytes to an average rate shared by every transfer that uses it, allowing a short burst. Each caller reserves
/// time for its bytes on one timeline and waits until its reservation is due, so concurrent uploads split the rate
/// between them instead of each getting all of it.
/// </summary>
public sealed class BandwidthLimiter
{
    private readonly double _bytesPerSecond;
    private readonly TimeSpan _burst;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private DateTimeOffset _reservedUntil;
    private long _bytesPaced;

    /// <summary>A limiter of <paramref name="bytesPerSecond"/>; up to a quarter second's worth may pass unpaced after a pause.</summary>
    public BandwidthLimiter(long bytesPerSecond, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytesPerSecond, 1);
        _bytesPerSecond = bytesPerSecond;
        _burst = TimeSpan.FromSeconds(0.25);
        _time = time ?? TimeProvider.System;
        _reservedUntil = _time.GetUtcNow() - _burst;
    }

    /// <summary>Every byte paced so far: what was sent, or is being sent, under the cap.</summary>
    public long BytesPaced => Interlocked.Read(ref _bytesPaced);

    /// <summary>
    /// The stream to read for a pass that sends nothing, such as hashing a blob before its upload: a paced stream's
    /// source (sharing its position), else <paramref name="content"/> itself. Pacing that pass too would halve the rate
    /// a store that hashes first actually gets.
    /// </summary>
    public static Stream Unpaced(Stream content) => content is ThrottledReadStream paced ? paced.Source : content;

    /// <summary>Waits until <paramref name="bytes"/> more may be sent.</summary>
    public Task WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        Interlocked.Add(ref _bytesPaced, bytes);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            // Idle time earns no credit beyond the burst: the timeline never lags "now" by more than the burst.
            if (_reservedUntil < now - _burst) _reservedUntil = now - _burst;
            _reservedUntil += TimeSpan.FromSeconds(bytes / _bytesPerSecond);
            wait = _reservedUntil - now;
        }
        return wait > TimeSpan.Zero ? Task.Delay(wait, _time, cancellationToken) : Task.CompletedTask;
    }
}

/// <summary>A read-only view of a stream whose reads are paced by a <see cref="BandwidthLimiter"/>; seeking passes through (for retries).</summary>
internal sealed class ThrottledReadStream(Stream inner, BandwidthLimiter limiter) : Stream
{
    // Small slices keep the pacing smooth and let one slow upload not starve the others for long.
    private const int SliceBytes = 64 * 1024;

    /// <summary>The stream being paced (see <see cref="BandwidthLimiter.Unpaced"/>).</summary>
    public Stream Source => inner;

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer[..Math.Min(buffer.Length, SliceBytes)]);
        if (read > 0) limiter.WaitAsync(read, CancellationToken.None).GetAwaiter().GetResult();
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, SliceBytes)], cancellationToken).ConfigureAwait(false);
        if (read > 0) await limiter.WaitAsync(read, cancellationToken).ConfigureAwait(false);
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
