using System.Globalization;
using Cairn.Snapshots.Trees;

namespace Cairn.Cli;

/// <summary>How sizes, times and modes are shown to people.</summary>
internal static class Format
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        int unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString("0.000", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    public static string Duration(TimeSpan d) =>
        d.TotalHours >= 1 ? $"{(int)d.TotalHours}:{d.Minutes:00}:{d.Seconds:00}" : $"{d.Minutes}:{d.Seconds:00}";

    public static string LocalTime(DateTimeOffset t) => t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>RFC 3339 with nanoseconds, in local time, as restic prints node times.</summary>
    public static string Rfc3339Nanos(long unixNanos)
    {
        long seconds = Math.DivRem(unixNanos, 1_000_000_000L, out long nanos);
        if (nanos < 0)
        {
            seconds--;
            nanos += 1_000_000_000L;
        }
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).ToLocalTime();
        return t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "." + nanos.ToString("D9", CultureInfo.InvariantCulture)
            + (t.Offset == TimeSpan.Zero ? "Z" : t.ToString("zzz", CultureInfo.InvariantCulture));
    }

    public static string LocalTimeNanos(long unixNanos) => LocalTime(DateTimeOffset.FromUnixTimeMilliseconds(Math.DivRem(unixNanos, 1_000_000, out _)));

    public static string KindName(NodeKind kind) => kind switch
    {
        NodeKind.File => "file",
        NodeKind.Directory => "dir",
        NodeKind.Symlink => "symlink",
        NodeKind.Fifo => "fifo",
        NodeKind.CharDevice => "chardev",
        NodeKind.BlockDevice => "dev",
        NodeKind.Socket => "socket",
        _ => "unknown",
    };

    /// <summary>st_mode: the file-type bits plus the permission bits.</summary>
    public static uint UnixMode(Node node) => node.Mode | node.Kind switch
    {
        NodeKind.File => 0x8000u,
        NodeKind.Directory => 0x4000u,
        NodeKind.Symlink => 0xA000u,
        NodeKind.Fifo => 0x1000u,
        NodeKind.CharDevice => 0x2000u,
        NodeKind.BlockDevice => 0x6000u,
        NodeKind.Socket => 0xC000u,
        _ => 0u,
    };

    /// <summary>ls -l style permissions, e.g. "drwxr-xr-x", with setuid, setgid and sticky bits.</summary>
    public static string Permissions(Node node)
    {
        char type = node.Kind switch
        {
            NodeKind.Directory => 'd',
            NodeKind.Symlink => 'l',
            NodeKind.Fifo => 'p',
            NodeKind.CharDevice => 'c',
            NodeKind.BlockDevice => 'b',
            NodeKind.Socket => 's',
            _ => '-',
        };
        var m = node.Mode;
        Span<char> s = stackalloc char[10];
        s[0] = type;
        for (int i = 0; i < 3; i++)
        {
            uint bits = (m >> (6 - 3 * i)) & 7;
            s[1 + 3 * i] = (bits & 4) != 0 ? 'r' : '-';
            s[2 + 3 * i] = (bits & 2) != 0 ? 'w' : '-';
            s[3 + 3 * i] = (bits & 1) != 0 ? 'x' : '-';
        }
        if ((m & 0x800) != 0) s[3] = s[3] == 'x' ? 's' : 'S';
        if ((m & 0x400) != 0) s[6] = s[6] == 'x' ? 's' : 'S';
        if ((m & 0x200) != 0) s[9] = s[9] == 'x' ? 't' : 'T';
        return new string(s);
    }
}
