using System.Text;
using System.Text.RegularExpressions;

namespace Cairn.Components.Bucket;

/// <summary>
/// One include/exclude pattern over object keys (relative to the component's prefix): a plain string is a key prefix;
/// a string with <c>*</c>, <c>?</c> or <c>[</c> is a glob matched against the whole key, where <c>*</c> and <c>?</c>
/// stay within one '/'-separated segment and <c>**</c> crosses them (<c>**/</c> may also match nothing).
/// </summary>
public sealed class KeyPattern
{
    private readonly string _text;
    private readonly Regex? _glob;

    private KeyPattern(string text, Regex? glob)
    {
        _text = text;
        _glob = glob;
    }

    /// <summary>Parses a pattern; an empty one or a malformed character class is a usage error.</summary>
    public static KeyPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new CairnException("an empty key pattern matches everything: leave it out instead", ExitCode.Usage);
        if (text.IndexOfAny(['*', '?', '[']) < 0) return new KeyPattern(text, null);
        try
        {
            return new KeyPattern(text, new Regex(ToRegex(text), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1)));
        }
        catch (ArgumentException e)
        {
            throw new CairnException($"'{text}' is not a valid key pattern: {e.Message}", ExitCode.Usage, e);
        }
    }

    /// <summary>Whether <paramref name="key"/> matches.</summary>
    public bool Matches(string key) => _glob?.IsMatch(key) ?? key.StartsWith(_text, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => _text;

    private static string ToRegex(string glob)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    i++;
                    if (i + 1 < glob.Length && glob[i + 1] == '/')
                    {
                        i++;
                        regex.Append("(?:.*/)?");
                    }
                    else
                    {
                        regex.Append(".*");
                    }

                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '[':
                    var end = glob.IndexOf(']', i + 2);
                    if (end < 0) throw new ArgumentException("'[' without a closing ']'");
                    var set = glob[(i + 1)..end];
                    regex.Append('[').Append(set.StartsWith('!') ? "^" + Escape(set[1..]) : Escape(set)).Append(']');
                    i = end;
                    break;
                default:
                    regex.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return regex.Append('$').ToString();

        // Inside a class only '\', ']' and '^' (and '[' for .NET's subtraction syntax) are special; '-' keeps its range meaning.
        static string Escape(string set) => set.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("[", @"\[", StringComparison.Ordinal)
            .Replace("^", @"\^", StringComparison.Ordinal);
    }
}

/// <summary>The include and exclude patterns of a bucket component: a key is taken when it matches an include (or there are none) and no exclude.</summary>
public sealed class KeyFilter
{
    private readonly KeyPattern[] _includes;
    private readonly KeyPattern[] _excludes;

    /// <summary>Parses both lists (usage errors for bad patterns).</summary>
    public KeyFilter(IEnumerable<string> includes, IEnumerable<string> excludes)
    {
        _includes = [.. includes.Select(KeyPattern.Parse)];
        _excludes = [.. excludes.Select(KeyPattern.Parse)];
    }

    /// <summary>Whether the key is backed up.</summary>
    public bool Matches(string key) => (_includes.Length == 0 || _includes.Any(p => p.Matches(key))) && !_excludes.Any(p => p.Matches(key));
}
