namespace Cairn.Platform;

/// <summary>
/// The one place that turns names into NUL-terminated strings, calls an *at() syscall relative to this directory,
/// retries EINTR and raises errors. Each syscall is a static function taking the directory fd, the name and a state.
/// </summary>
public sealed partial class DirectoryHandle
{
    /// <summary>openat relative to this directory; returns the new descriptor or throws.</summary>
    private int OpenAt(ReadOnlySpan<byte> name, int flags, uint mode, string operation)
    {
        var fd = TryOpenAt(name, flags, mode);
        return fd >= 0 ? fd : throw Sys.Error(operation, _path, name);
    }

    /// <summary>openat relative to this directory; returns -1 with errno set on failure.</summary>
    private unsafe int TryOpenAt(ReadOnlySpan<byte> name, int flags, uint mode) =>
        TryCall(name, (flags, mode), &OpenAtCall);

    private static unsafe int OpenAtCall(SafeFd fd, byte* name, (int Flags, uint Mode) s) => LibC.openat(fd, name, s.Flags, s.Mode);

    /// <summary>Runs a call on one name; throws a PosixException naming the entry if it fails.</summary>
    private unsafe void Call<TState>(ReadOnlySpan<byte> name, TState state, delegate*<SafeFd, byte*, TState, int> call, string operation)
    {
        if (TryCall(name, state, call) < 0)
        {
            throw Sys.Error(operation, _path, name);
        }
    }

    /// <summary>Runs a call on one name, retrying EINTR; returns its result with errno intact.</summary>
    private unsafe int TryCall<TState>(ReadOnlySpan<byte> name, TState state, delegate*<SafeFd, byte*, TState, int> call)
    {
        using var cName = new CString(name, stackalloc byte[CString.StackSize]);
        int r;
        fixed (byte* p = cName)
        {
            while (Sys.Interrupted(r = call(_fd, p, state)))
            {
            }
        }
        return r;
    }

    /// <summary>Runs a call on a name here and another string (a link target, or a name in another directory), retrying EINTR.</summary>
    private unsafe int TryCall<TState>(ReadOnlySpan<byte> name, ReadOnlySpan<byte> other, TState state,
        delegate*<SafeFd, byte*, byte*, TState, int> call)
    {
        using var cName = new CString(name, stackalloc byte[CString.StackSize]);
        using var cOther = new CString(other, stackalloc byte[CString.StackSize]);
        int r;
        fixed (byte* pName = cName)
        fixed (byte* pOther = cOther)
        {
            while (Sys.Interrupted(r = call(_fd, pName, pOther, state)))
            {
            }
        }
        return r;
    }
}
