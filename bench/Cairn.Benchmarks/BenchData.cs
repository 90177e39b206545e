using System.Text;

namespace Cairn.Benchmarks;

/// <summary>Deterministic inputs for the benchmarks, generated rather than read so every machine measures the same bytes.</summary>
internal static class BenchData
{
    public const int MiB = 1024 * 1024;

    /// <summary>Incompressible bytes from xorshift64*.</summary>
    public static byte[] Random(int length, ulong seed = 0x9E3779B97F4A7C15UL)
    {
        var bytes = new byte[length];
        ulong state = seed;
        for (int i = 0; i + 8 <= length; i += 8)
        {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            BitConverter.TryWriteBytes(bytes.AsSpan(i), state * 0x2545F4914F6CDD1DUL);
        }
        return bytes;
    }

    /// <summary>
    /// Pseudo C source: functions with indented statements, identifiers from a small vocabulary, numbers and comments.
    /// Its zstd ratio (about 4-5x) is in the range of real source trees and text dumps.
    /// </summary>
    public static byte[] SourceText(int length, int seed = 42)
    {
        string[] types = ["int", "size_t", "uint64_t", "char *", "struct node *", "const void *", "bool", "ssize_t"];
        string[] names = ["buffer", "length", "offset", "count", "index", "node", "next", "result", "flags", "state", "entry",
            "table", "key", "value", "hash", "size", "capacity", "cursor", "header", "payload", "checksum", "timeout"];
        string[] verbs = ["read", "write", "find", "insert", "remove", "update", "parse", "format", "compute", "check", "flush", "open"];
        string[] comments = ["/* TODO: handle the error case properly */", "// the caller owns the buffer",
            "/* keep this in sync with the header */", "// fast path: nothing to do", "/* see RFC 9106, section 3 */"];
        var random = new Random(seed);
        var text = new StringBuilder(length + 4096);
        string Name() => names[random.Next(names.Length)] + (random.Next(4) == 0 ? "_" + names[random.Next(names.Length)] : "");
        while (text.Length < length)
        {
            text.Append("static ").Append(types[random.Next(types.Length)]).Append(' ')
                .Append(verbs[random.Next(verbs.Length)]).Append('_').Append(Name()).Append('(')
                .Append(types[random.Next(types.Length)]).Append(' ').Append(Name()).Append(", ")
                .Append(types[random.Next(types.Length)]).Append(' ').Append(Name()).Append(")\n{\n");
            int statements = random.Next(3, 15);
            for (int s = 0; s < statements; s++)
            {
                int indent = 4 * random.Next(1, 4);
                text.Append(' ', indent);
                switch (random.Next(6))
                {
                    case 0: text.Append("if (").Append(Name()).Append(" > ").Append(random.Next(4096)).Append(")\n").Append(' ', indent + 4).Append("return -E").Append(Name().ToUpperInvariant()).Append(";\n"); break;
                    case 1: text.Append("for (int i = 0; i < ").Append(Name()).Append("; i++)\n").Append(' ', indent + 4).Append(Name()).Append("[i] = ").Append(Name()).Append("[i] ^ 0x").Append(random.Next().ToString("x8", System.Globalization.CultureInfo.InvariantCulture)).Append(";\n"); break;
                    case 2: text.Append(comments[random.Next(comments.Length)]).Append('\n'); break;
                    case 3: text.Append(Name()).Append(" = ").Append(verbs[random.Next(verbs.Length)]).Append('_').Append(Name()).Append('(').Append(Name()).Append(", ").Append(random.Next(65536)).Append(");\n"); break;
                    case 4: text.Append(Name()).Append("->").Append(Name()).Append(" += ").Append(Name()).Append(";\n"); break;
                    default: text.Append("return ").Append(Name()).Append(";\n"); break;
                }
            }
            text.Append("}\n\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }
}
