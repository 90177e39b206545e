using System.Buffers;

namespace Cairn.Platform;

/// <summary>A NUL-terminated copy of a name for a libc call: in caller-provided stack space, or a pooled array when longer.</summary>
/// <remarks>Use as <c>using var c = new CString(name, stackalloc byte[CString.StackSize]); fixed (byte* p = c) ...</c>.</remarks>
internal ref struct CString
{
    /// <summary>Stack space callers should offer: one file name (255 bytes) plus NUL fits, so the pool is rarely touched.</summary>
    public const int StackSize = 320;

    private readonly Span<byte> _bytes;
    private byte[]? _rented;

    public CString(scoped ReadOnlySpan<byte> value, Span<byte> scratch) : this(default, value, scratch) { }

    /// <summary>prefix + value + NUL, e.g. "/proc/self/fd/7/" + name.</summary>
    public CString(scoped ReadOnlySpan<byte> prefix, scoped ReadOnlySpan<byte> value, Span<byte> scratch)
    {
        // An embedded NUL would silently truncate the name and act on a different file.
        if (value.Contains((byte)0))
        {
            throw new ArgumentException("a path or name must not contain a NUL byte", nameof(value));
        }
        var length = prefix.Length + value.Length;
        if (length + 1 > scratch.Length)
        {
            _rented = ArrayPool<byte>.Shared.Rent(length + 1);
            scratch = _rented;
        }
        prefix.CopyTo(scratch);
        value.CopyTo(scratch[prefix.Length..]);
        scratch[length] = 0;
        _bytes = scratch[..(length + 1)];
    }

    public readonly ref byte GetPinnableReference() => ref _bytes.GetPinnableReference();

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
