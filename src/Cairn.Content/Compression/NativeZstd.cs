using System.Runtime.InteropServices;

namespace Cairn.Content.Compression;

/// <summary>
/// The reference zstd library (libzstd.so.1, present on every Debian system because dpkg depends on it), used when
/// it loads: it compresses about twice as fast as the managed port, and compression is most of a first backup's
/// CPU time. Both produce standard zstd frames, so the repository format does not depend on which one ran.
/// ZstdSharp remains the fallback, and CAIRN_ZSTD=managed forces it.
/// </summary>
internal static unsafe partial class NativeZstd
{
    private const string Library = "libzstd.so.1";

    /// <summary>True when libzstd could be loaded and CAIRN_ZSTD does not ask for the managed port.</summary>
    public static bool IsAvailable { get; } = Probe();

    private static bool Probe()
    {
        if (Environment.GetEnvironmentVariable("CAIRN_ZSTD") == "managed") return false;
        if (!NativeLibrary.TryLoad(Library, out var handle)) return false;
        return NativeLibrary.TryGetExport(handle, "ZSTD_compressCCtx", out _) && NativeLibrary.TryGetExport(handle, "ZSTD_decompressDCtx", out _);
    }

    [LibraryImport(Library)]
    public static partial nint ZSTD_createCCtx();

    [LibraryImport(Library)]
    public static partial nuint ZSTD_freeCCtx(nint context);

    [LibraryImport(Library)]
    public static partial nuint ZSTD_compressCCtx(nint context, byte* destination, nuint capacity, byte* source, nuint length, int level);

    [LibraryImport(Library)]
    public static partial nint ZSTD_createDCtx();

    [LibraryImport(Library)]
    public static partial nuint ZSTD_freeDCtx(nint context);

    [LibraryImport(Library)]
    public static partial nuint ZSTD_decompressDCtx(nint context, byte* destination, nuint capacity, byte* source, nuint length);

    [LibraryImport(Library)]
    public static partial uint ZSTD_isError(nuint code);

    [LibraryImport(Library)]
    private static partial byte* ZSTD_getErrorName(nuint code);

    /// <summary>zstd's own description of an error code.</summary>
    public static string ErrorName(nuint code) => Marshal.PtrToStringUTF8((nint)ZSTD_getErrorName(code)) ?? "unknown zstd error";

    /// <summary>Compresses into <paramref name="destination"/>; returns -1 if it does not fit.</summary>
    public static int Compress(nint context, ReadOnlySpan<byte> input, Span<byte> destination, int level)
    {
        nuint result;
        fixed (byte* src = input)
        fixed (byte* dst = destination)
            result = ZSTD_compressCCtx(context, dst, (nuint)destination.Length, src, (nuint)input.Length, level);
        return ZSTD_isError(result) != 0 ? -1 : (int)result;
    }

    /// <summary>Decompresses into <paramref name="destination"/>; returns the length written or throws with zstd's reason.</summary>
    public static int Decompress(nint context, ReadOnlySpan<byte> input, Span<byte> destination, string objectDescription)
    {
        nuint result;
        fixed (byte* src = input)
        fixed (byte* dst = destination)
            result = ZSTD_decompressDCtx(context, dst, (nuint)destination.Length, src, (nuint)input.Length);
        if (ZSTD_isError(result) != 0) throw new IntegrityException(objectDescription, $"zstd data is malformed or longer than expected ({ErrorName(result)})");
        return (int)result;
    }
}
