namespace Cairn.Components.Redis;

/// <summary>
/// Redis' own glob syntax (as KEYS and SCAN MATCH use it), on the key's bytes: <c>*</c>, <c>?</c>, <c>[abc]</c>,
/// <c>[^a-z]</c>, and <c>\</c> to escape, so <c>--key 'session:*'</c> selects what the same pattern selects in redis-cli.
/// </summary>
internal static class RedisGlob
{
    /// <summary>Whether <paramref name="key"/> matches <paramref name="pattern"/> (both as bytes, the pattern UTF-8).</summary>
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> key)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == '*') pattern = pattern[1..];
                    if (pattern.Length == 1) return true;
                    for (var i = 0; i <= key.Length; i++)
                    {
                        if (IsMatch(pattern[1..], key[i..])) return true;
                    }
                    return false;
                case (byte)'?':
                    if (key.Length == 0) return false;
                    key = key[1..];
                    pattern = pattern[1..];
                    break;
                case (byte)'[':
                    if (key.Length == 0 || !MatchClass(ref pattern, key[0])) return false;
                    key = key[1..];
                    break;
                default:
                    if (pattern[0] == '\\' && pattern.Length > 1) pattern = pattern[1..];
                    if (key.Length == 0 || key[0] != pattern[0]) return false;
                    key = key[1..];
                    pattern = pattern[1..];
                    break;
            }
        }
        return key.Length == 0;
    }

    // Consumes "[...]" from the pattern; whether c is in the class.
    private static bool MatchClass(ref ReadOnlySpan<byte> pattern, byte c)
    {
        pattern = pattern[1..];
        var negate = pattern.Length > 0 && pattern[0] == '^';
        if (negate) pattern = pattern[1..];
        var match = false;
        while (pattern.Length > 0 && pattern[0] != ']')
        {
            if (pattern[0] == '\\' && pattern.Length > 1)
            {
                pattern = pattern[1..];
                match |= pattern[0] == c;
                pattern = pattern[1..];
            }
            else if (pattern.Length > 2 && pattern[1] == '-' && pattern[2] != ']')
            {
                var (low, high) = pattern[0] <= pattern[2] ? (pattern[0], pattern[2]) : (pattern[2], pattern[0]);
                match |= c >= low && c <= high;
                pattern = pattern[3..];
            }
            else
            {
                match |= pattern[0] == c;
                pattern = pattern[1..];
            }
        }
        if (pattern.Length > 0) pattern = pattern[1..]; // the ']'
        return negate ? !match : match;
    }
}
