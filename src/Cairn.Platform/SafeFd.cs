using System.Runtime.InteropServices;

namespace Cairn.Platform;

/// <summary>An owned file descriptor, closed exactly once even when disposal races with a call using it.</summary>
internal sealed class SafeFd : SafeHandle
{
    public SafeFd() : base(-1, ownsHandle: true) { }

    public SafeFd(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    // close(2) is not retried on EINTR: on Linux the descriptor is released even then.
    protected override bool ReleaseHandle() => LibC.close(handle) == 0;
}
