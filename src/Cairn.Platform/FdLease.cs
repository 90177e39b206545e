namespace Cairn.Platform;

/// <summary>Holds a reference on a descriptor while its raw number is used (e.g. inside a /proc path), so it cannot be closed and reused meanwhile.</summary>
internal ref struct FdLease
{
    private readonly SafeFd _handle;
    private bool _added;

    public FdLease(SafeFd handle)
    {
        _handle = handle;
        handle.DangerousAddRef(ref _added);
        Fd = (int)handle.DangerousGetHandle();
    }

    public int Fd { get; }

    public void Dispose()
    {
        if (_added)
        {
            _handle.DangerousRelease();
            _added = false;
        }
    }
}
