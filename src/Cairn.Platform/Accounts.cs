using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Cairn.Platform;

/// <summary>User and group names and ids from the system databases (NSS), cached for the life of the process; thread-safe.</summary>
public static unsafe class Accounts
{
    // struct passwd and struct group on 64-bit glibc: the name pointer is first, the id at offset 16.
    private const int EntrySize = 64;
    private const int IdOffset = 16;

    private static readonly ConcurrentDictionary<uint, string?> s_userNames = new();
    private static readonly ConcurrentDictionary<uint, string?> s_groupNames = new();
    private static readonly ConcurrentDictionary<string, uint?> s_userIds = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, uint?> s_groupIds = new(StringComparer.Ordinal);
    private static readonly Lazy<bool> s_isRoot = new(() => LibC.geteuid() == 0);

    /// <summary>True when the effective user is root, so ownership, device nodes and O_NOATIME are all allowed.</summary>
    public static bool IsRoot => s_isRoot.Value;

    /// <summary>The name of a user id, or null when no such user exists.</summary>
    public static string? UserName(uint uid) => s_userNames.GetOrAdd(uid, static id => LookUpName(id, group: false));

    /// <summary>The name of a group id, or null when no such group exists.</summary>
    public static string? GroupName(uint gid) => s_groupNames.GetOrAdd(gid, static id => LookUpName(id, group: true));

    /// <summary>The id of a user name, or null when no such user exists.</summary>
    public static uint? UserId(string name) => s_userIds.GetOrAdd(name, static n => LookUpId(n, group: false));

    /// <summary>The id of a group name, or null when no such group exists.</summary>
    public static uint? GroupId(string name) => s_groupIds.GetOrAdd(name, static n => LookUpId(n, group: true));

    private static string? LookUpName(uint id, bool group)
    {
        var entry = LookUp((e, b, size, result) => group
            ? LibC.getgrgid_r(id, e, b, size, result)
            : LibC.getpwuid_r(id, e, b, size, result));
        return entry?.Name;
    }

    private static uint? LookUpId(string name, bool group)
    {
        ArgumentNullException.ThrowIfNull(name);
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        var entry = LookUp((e, b, size, result) =>
        {
            fixed (byte* n = bytes)
            {
                return group ? LibC.getgrnam_r(n, e, b, size, result) : LibC.getpwnam_r(n, e, b, size, result);
            }
        });
        return entry?.Id;
    }

    private delegate int Lookup(byte* entry, byte* buffer, nuint size, byte** result);

    /// <summary>Runs a *_r lookup, growing the string buffer on ERANGE; null when there is no entry (or NSS fails).</summary>
    private static (string Name, uint Id)? LookUp(Lookup call)
    {
        byte* entry = stackalloc byte[EntrySize];
        for (var size = 1024; size <= 1 << 22; size *= 4)
        {
            var buffer = new byte[size];
            byte* result = null;
            int error;
            fixed (byte* b = buffer)
            {
                error = call(entry, b, (nuint)size, &result);
                if (error == 0 && result != null)
                {
                    var namePointer = *(byte**)result;
                    var name = Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(namePointer));
                    return (name, *(uint*)(result + IdOffset));
                }
            }
            // Not found, or a broken NSS setup: either way there is no name to record, which callers treat as "numeric only".
            if (error != Errno.ERANGE)
            {
                return null;
            }
        }
        return null;
    }
}
