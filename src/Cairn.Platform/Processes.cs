using System.Globalization;
using System.Runtime.InteropServices;

namespace Cairn.Platform;

/// <summary>Whether a process recorded earlier (pid and start time) is still the same running process.</summary>
public enum ProcessState
{
    /// <summary>The process runs (or exists but cannot be inspected, which must count as running).</summary>
    Running,
    /// <summary>No process has that pid, it is a zombie, or the pid now belongs to a process started at another time.</summary>
    Gone,
}

/// <summary>
/// Identifies processes across time: a pid alone is reused by the kernel, so it is paired with the process's start
/// time (clock ticks since boot, field 22 of /proc/PID/stat), which only means something together with the boot id
/// and the pid namespace.
/// </summary>
public static class Processes
{
    private static readonly Lazy<string> s_bootId = new(() => ReadTrimmed("/proc/sys/kernel/random/boot_id") ?? "");
    private static readonly Lazy<string> s_pidNamespace = new(() => ReadLink("/proc/self/ns/pid") ?? "");
    private static readonly Lazy<ulong> s_currentStart = new(() => StartTime(Environment.ProcessId) ?? 0);

    /// <summary>The kernel's random id of the current boot; empty if unknown.</summary>
    public static string BootId => s_bootId.Value;

    /// <summary>The pid namespace of this process, e.g. "pid:[4026531836]"; pids are only comparable within one.</summary>
    public static string PidNamespace => s_pidNamespace.Value;

    /// <summary>This process's start time in clock ticks since boot.</summary>
    public static ulong CurrentStartTime => s_currentStart.Value;

    /// <summary>A process's start time in clock ticks since boot, or null if /proc has no (readable) entry for it.</summary>
    public static ulong? StartTime(int pid)
    {
        var fields = StatFields(pid);
        // Fields after the command name: [0] is state (field 3), so starttime (field 22) is [19].
        return fields is { Length: > 19 } && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    /// <summary>Whether the process with this pid and start time still runs, in this boot and pid namespace.</summary>
    public static ProcessState Probe(int pid, ulong startTime)
    {
        if (pid <= 0) return ProcessState.Gone;
        var fields = StatFields(pid);
        if (fields is { Length: > 19 })
        {
            if (fields[0] == "Z" || fields[0] == "X") return ProcessState.Gone;
            return ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start) && start == startTime
                ? ProcessState.Running : ProcessState.Gone;
        }
        // /proc mounted with hidepid hides other users' processes; kill(pid, 0) still tells "no such process" (ESRCH)
        // from "exists but not yours" (EPERM). Without the start time a reused pid looks alive, which is the safe side.
        if (LibC.kill(pid, 0) == 0) return ProcessState.Running;
        return Marshal.GetLastPInvokeError() == Errno.ESRCH ? ProcessState.Gone : ProcessState.Running;
    }

    // The command name (field 2) is in parentheses and may itself contain spaces and parentheses: split after the last ')'.
    private static string[]? StatFields(int pid)
    {
        var stat = ReadTrimmed($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        if (stat is null) return null;
        int close = stat.LastIndexOf(')');
        return close < 0 ? null : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
