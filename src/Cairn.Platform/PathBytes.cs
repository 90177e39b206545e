using System.Text;

namespace Cairn.Platform;

/// <summary>Helpers for paths as raw bytes (no encoding assumed), and their lossless printable display form.</summary>
public static class PathBytes
{
    private const byte Slash = (byte)'/';

    /// <summary>The UTF-8 bytes of a path given as a string.</summary>
    public static byte[] FromString(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Encoding.UTF8.GetBytes(s);
    }

    /// <summary>
    /// A printable, lossless rendering: valid printable UTF-8 is shown as-is, a backslash as <c>\\</c>, and every
    /// other byte (invalid UTF-8, control characters such as newline) as <c>\xNN</c>. <see cref="FromDisplay"/> inverts it.
    /// </summary>
    public static string ToDisplay(ReadOnlySpan<byte> path)
    {
        if (IsPlainAscii(path))
        {
            return Encoding.ASCII.GetString(path);
        }
        var sb = new StringBuilder(path.Length + 16);
        while (!path.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(path, out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done && rune.Value == '\\')
            {
                sb.Append(@"\\");
            }
            else if (status == System.Buffers.OperationStatus.Done && !Rune.IsControl(rune))
            {
                sb.Append(rune.ToString());
            }
            else
            {
                foreach (var b in path[..Math.Max(consumed, 1)])
                {
                    sb.Append(@"\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
                consumed = Math.Max(consumed, 1);
            }
            path = path[consumed..];
        }
        return sb.ToString();
    }

    /// <summary>The bytes a <see cref="ToDisplay"/> string stands for (also accepts plain text, as typed by a user).</summary>
    public static byte[] FromDisplay(string display)
    {
        ArgumentNullException.ThrowIfNull(display);
        if (!display.Contains('\\', StringComparison.Ordinal))
        {
            return FromString(display);
        }
        var bytes = new List<byte>(display.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < display.Length; i++)
        {
            if (display[i] == '\\' && i + 1 < display.Length && display[i + 1] == '\\')
            {
                bytes.Add((byte)'\\');
                i++;
            }
            else if (display[i] == '\\' && i + 3 < display.Length && display[i + 1] == 'x'
                && byte.TryParse(display.AsSpan(i + 2, 2), System.Globalization.NumberStyles.AllowHexSpecifier,
                    System.Globalization.CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 3;
            }
            else
            {
                var rune = Rune.GetRuneAt(display, i);
                var n = rune.EncodeToUtf8(utf8);
                foreach (var x in utf8[..n])
                {
                    bytes.Add(x);
                }
                i += rune.Utf16SequenceLength - 1;
            }
        }
        return [.. bytes];
    }

    /// <summary>parent + "/" + name; no separator is doubled, and an empty parent gives name alone.</summary>
    public static byte[] Join(ReadOnlySpan<byte> parent, ReadOnlySpan<byte> name)
    {
        if (parent.IsEmpty)
        {
            return name.ToArray();
        }
        var needSlash = parent[^1] != Slash;
        var result = new byte[parent.Length + (needSlash ? 1 : 0) + name.Length];
        parent.CopyTo(result);
        if (needSlash)
        {
            result[parent.Length] = Slash;
        }
        name.CopyTo(result.AsSpan(result.Length - name.Length));
        return result;
    }

    /// <summary>True when the path starts with '/'.</summary>
    public static bool IsAbsolute(ReadOnlySpan<byte> path) => !path.IsEmpty && path[0] == Slash;

    /// <summary>The non-empty components of a path, without "." (".." is kept: it cannot be resolved lexically across symlinks).</summary>
    public static List<byte[]> Split(ReadOnlySpan<byte> path)
    {
        var parts = new List<byte[]>();
        foreach (var range in path.Split(Slash))
        {
            var part = path[range];
            if (!part.IsEmpty && !(part.Length == 1 && part[0] == (byte)'.'))
            {
                parts.Add(part.ToArray());
            }
        }
        return parts;
    }

    /// <summary>Collapses "//" and "/./" and drops a trailing slash: "a//b/./c/" gives "a/b/c"; "" gives ".".</summary>
    public static byte[] Normalize(ReadOnlySpan<byte> path)
    {
        var parts = Split(path);
        var absolute = IsAbsolute(path);
        if (parts.Count == 0)
        {
            return absolute ? [Slash] : [(byte)'.'];
        }
        var length = (absolute ? 1 : 0) + parts.Count - 1;
        foreach (var part in parts)
        {
            length += part.Length;
        }
        var result = new byte[length];
        var at = 0;
        if (absolute)
        {
            result[at++] = Slash;
        }
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0)
            {
                result[at++] = Slash;
            }
            parts[i].CopyTo(result, at);
            at += parts[i].Length;
        }
        return result;
    }

    /// <summary>The normalized absolute form of a path, relative ones taken from the current directory (as bytes, via getcwd).</summary>
    public static byte[] Absolute(ReadOnlySpan<byte> path) =>
        IsAbsolute(path) ? Normalize(path) : Normalize(Join(CurrentDirectory(), path));

    /// <summary>The last component of a normalized path ("" for "/").</summary>
    public static ReadOnlySpan<byte> FileName(ReadOnlySpan<byte> path)
    {
        var slash = path.LastIndexOf(Slash);
        return slash < 0 ? path : path[(slash + 1)..];
    }

    /// <summary>Everything before the last component of a normalized path: "/" for "/a", "." for "a".</summary>
    public static ReadOnlySpan<byte> Parent(ReadOnlySpan<byte> path)
    {
        var slash = path.LastIndexOf(Slash);
        return slash switch
        {
            < 0 => "."u8,
            0 => "/"u8,
            _ => path[..slash],
        };
    }

    /// <summary>The current working directory as bytes, exact even when it is not valid UTF-8.</summary>
    public static unsafe byte[] CurrentDirectory()
    {
        for (var size = 4096; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            fixed (byte* p = buffer)
            {
                if (LibC.getcwd(p, (nuint)size) != null)
                {
                    return buffer.AsSpan(0, buffer.AsSpan().IndexOf((byte)0)).ToArray();
                }
            }
            var errno = LibC.LastErrno;
            if (errno != Errno.ERANGE)
            {
                throw new PosixException(errno, "get", "the current directory");
            }
        }
        return FromString(Environment.CurrentDirectory);
    }

    private static bool IsPlainAscii(ReadOnlySpan<byte> path)
    {
        foreach (var b in path)
        {
            if (b < 0x20 || b >= 0x7f || b == (byte)'\\')
            {
                return false;
            }
        }
        return true;
    }
}
