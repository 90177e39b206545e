using System.Runtime.InteropServices;

namespace Cairn.Platform;

/// <summary>A system call on a file failed: carries the errno, the operation and the path, with a one-line message.</summary>
public sealed class PosixException : CairnException
{
    /// <summary>Creates an error; the message reads "cannot {operation} {path}: {strerror}".</summary>
    public PosixException(int errno, string operation, string pathDisplay, Exception? inner = null)
        : this(errno, operation, pathDisplay, detail: null, inner) { }

    /// <summary>Creates an error whose message adds a detail after the path, e.g. the other path of a link.</summary>
    public PosixException(int errno, string operation, string pathDisplay, string? detail, Exception? inner = null)
        : base(Format(errno, operation, pathDisplay, detail), ExitCodeFor(errno), inner)
    {
        Errno = errno;
        Operation = operation;
        PathDisplay = pathDisplay;
    }

    /// <summary>The errno value, e.g. <see cref="Platform.Errno.ENOENT"/>.</summary>
    public int Errno { get; }

    /// <summary>What was being done, e.g. "open" or "change owner of".</summary>
    public string Operation { get; }

    /// <summary>The path concerned, printable and lossless (see <see cref="PathBytes.ToDisplay"/>).</summary>
    public string PathDisplay { get; }

    /// <summary>True when the entry does not exist.</summary>
    public bool IsNotFound => Platform.Errno.IsNotFound(Errno);

    // A full disk is its own exit code because the operator fixes it differently from a bug.
    private static ExitCode ExitCodeFor(int errno) => Platform.Errno.IsStorageFull(errno) ? ExitCode.StorageFull : ExitCode.Failure;

    private static string Format(int errno, string operation, string pathDisplay, string? detail) =>
        detail is null
            ? $"cannot {operation} {pathDisplay}: {Marshal.GetPInvokeErrorMessage(errno)}"
            : $"cannot {operation} {pathDisplay} ({detail}): {Marshal.GetPInvokeErrorMessage(errno)}";
}
