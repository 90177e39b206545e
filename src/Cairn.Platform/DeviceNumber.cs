namespace Cairn.Platform;

/// <summary>Packs and unpacks device numbers in glibc's 64-bit makedev encoding (the dev_t userspace sees).</summary>
public static class DeviceNumber
{
    /// <summary>Combines a major and minor number, like makedev(3).</summary>
    public static ulong Make(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000u) << 32) | ((ulong)(major & 0xfffu) << 8) | ((ulong)(minor & 0xffffff00u) << 12) | (minor & 0xffu);

    /// <summary>The major number of a device, like major(3).</summary>
    public static uint Major(ulong device) => (uint)(((device >> 32) & 0xfffff000u) | ((device >> 8) & 0xfffu));

    /// <summary>The minor number of a device, like minor(3).</summary>
    public static uint Minor(ulong device) => (uint)(((device >> 12) & 0xffffff00u) | (device & 0xffu));
}
