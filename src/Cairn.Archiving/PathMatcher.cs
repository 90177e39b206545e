using System.Text;
using System.Text.RegularExpressions;

namespace Cairn.Archiving;

/// <summary>
/// restic-style include/exclude patterns. A pattern without '/' matches any single path component ("*.tmp", "node_modules");
/// a pattern starting with '/' matches from the root ("/var/cache/*"); any other pattern matches a tail of the path at
/// a component boundary ("build/*.o"). '*' stays within a component, '**' crosses components, '?' and '[...]' as in globs.
/// Callers treat a match as covering the entry and everything below it.
/// </summary>
public sealed class PathMatcher
{
    private readonly Regex? _anyComponent;
    private readonly Regex? _path;

    /// <summary>Compiles the patterns; empty lines and lines starting with '#' are ignored.</summary>
    public PathMatcher(IEnumerable<string> patterns)
    {
        var component = new List<string>();
        var path = new List<string>();
        foreach (var raw in patterns)
        {
            var p = raw.Trim();
            if (p.Length == 0 || p.StartsWith('#')) continue;
            p = p.TrimEnd('/');
            if (!p.Contains('/')) component.Add(GlobToRegex(p));
            else if (p.StartsWith('/')) path.Add("^" + GlobToRegex(p) + "$");
            else path.Add("(^|/)" + GlobToRegex(p) + "$");
        }
        if (component.Count > 0) _anyComponent = new Regex("^(?:" + string.Join('|', component) + ")$", RegexOptions.CultureInvariant | RegexOptions.Singleline);
        if (path.Count > 0) _path = new Regex(string.Join('|', path), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }

    /// <summary>True when there are no patterns, so callers can skip building display paths.</summary>
    public bool IsEmpty => _anyComponent is null && _path is null;

    /// <summary>True if the entry <paramref name="name"/> at absolute <paramref name="fullPath"/> matches a pattern.</summary>
    public bool IsMatch(string fullPath, string name) =>
        (_anyComponent?.IsMatch(name) ?? false) || (_path?.IsMatch(fullPath) ?? false);

    private static string GlobToRegex(string glob)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*' when i + 1 < glob.Length && glob[i + 1] == '*':
                    sb.Append(".*");
                    i++;
                    if (i + 1 < glob.Length && glob[i + 1] == '/') { sb.Append("/?"); i++; }
                    break;
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    int end = glob.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append(@"\["); break; }
                    var set = glob[(i + 1)..end];
                    if (set.StartsWith('!')) set = "^" + set[1..];
                    sb.Append('[').Append(set.Replace(@"\", @"\\", StringComparison.Ordinal)).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Reads patterns from a file, one per line.</summary>
    public static IEnumerable<string> ReadPatternFile(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (IOException e)
        {
            throw new CairnException($"cannot read exclude file {path}: {e.Message}", ExitCode.Usage, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CairnException($"cannot read exclude file {path}: permission denied", ExitCode.Usage, e);
        }
    }
}
