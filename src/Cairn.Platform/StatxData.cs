using System.Runtime.InteropServices;

namespace Cairn.Platform;

/// <summary>The kernel's struct statx (uapi layout, identical on every architecture), padded to its full 256 bytes.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxData
{
    [FieldOffset(16)] public uint Nlink;
    [FieldOffset(20)] public uint Uid;
    [FieldOffset(24)] public uint Gid;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Ino;
    [FieldOffset(40)] public ulong Size;
    [FieldOffset(48)] public ulong Blocks;
    [FieldOffset(64)] public long AtimeSec;
    [FieldOffset(72)] public uint AtimeNsec;
    [FieldOffset(96)] public long CtimeSec;
    [FieldOffset(104)] public uint CtimeNsec;
    [FieldOffset(112)] public long MtimeSec;
    [FieldOffset(120)] public uint MtimeNsec;
    [FieldOffset(128)] public uint RdevMajor;
    [FieldOffset(132)] public uint RdevMinor;
    [FieldOffset(136)] public uint DevMajor;
    [FieldOffset(140)] public uint DevMinor;

    public readonly FileStatus ToFileStatus() => new(
        KindOf(Mode), Mode & 0xFFFu, Uid, Gid, (long)Size, (long)Blocks * 512, Ino,
        DeviceNumber.Make(DevMajor, DevMinor), Nlink, DeviceNumber.Make(RdevMajor, RdevMinor),
        AtimeSec * 1_000_000_000L + AtimeNsec, MtimeSec * 1_000_000_000L + MtimeNsec, CtimeSec * 1_000_000_000L + CtimeNsec);

    internal static FileKind KindOf(uint mode) => (mode & LibC.S_IFMT) switch
    {
        LibC.S_IFREG => FileKind.Regular,
        LibC.S_IFDIR => FileKind.Directory,
        LibC.S_IFLNK => FileKind.Symlink,
        LibC.S_IFIFO => FileKind.Fifo,
        LibC.S_IFCHR => FileKind.CharDevice,
        LibC.S_IFBLK => FileKind.BlockDevice,
        LibC.S_IFSOCK => FileKind.Socket,
        _ => throw new InvalidOperationException($"unknown file type bits 0x{mode & LibC.S_IFMT:x} in st_mode"),
    };

    internal static uint TypeBits(FileKind kind) => kind switch
    {
        FileKind.Regular => LibC.S_IFREG,
        FileKind.Directory => LibC.S_IFDIR,
        FileKind.Symlink => LibC.S_IFLNK,
        FileKind.Fifo => LibC.S_IFIFO,
        FileKind.CharDevice => LibC.S_IFCHR,
        FileKind.BlockDevice => LibC.S_IFBLK,
        FileKind.Socket => LibC.S_IFSOCK,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a file kind"),
    };
}
