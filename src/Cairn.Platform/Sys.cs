namespace Cairn.Platform;

/// <summary>Small shared pieces of the syscall wrappers.</summary>
internal static class Sys
{
    /// <summary>True when a call failed with EINTR and should simply be repeated (the runtime's own signals cause these).</summary>
    public static bool Interrupted(long result) => result < 0 && LibC.LastErrno == Errno.EINTR;

    /// <summary>The error for the last failed call on an entry of a directory; the message path is built only now.</summary>
    public static PosixException Error(string operation, ReadOnlySpan<byte> directory, ReadOnlySpan<byte> name, string? detail = null) =>
        new(LibC.LastErrno, operation, PathBytes.ToDisplay(name.IsEmpty ? directory : PathBytes.Join(directory, name)), detail);
}
