using System.Text;

namespace Cairn.Orchestration.Config;

/// <summary>
/// <c>${VAR}</c>, <c>${VAR:-default}</c> (the default when VAR is unset or empty) and <c>$$</c> (a literal <c>$</c>) in
/// scalar values. A <c>$</c> followed by anything else is kept as it is, so passwords with a lone <c>$</c> still work.
/// </summary>
internal static class Interpolation
{
    /// <summary>
    /// The interpolated value, or null after adding a problem. Positions inside a one-line plain or quoted scalar are
    /// exact; inside a multi-line scalar the problem points at the scalar's start.
    /// </summary>
    public static string? Apply(ConfigScalar scalar, IReadOnlyDictionary<string, string?> variables, string file, List<ConfigProblem> problems)
    {
        var text = scalar.Value;
        if (!text.Contains('$', StringComparison.Ordinal)) return text;
        var result = new StringBuilder(text.Length);
        bool ok = true;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '$' || i + 1 >= text.Length || (text[i + 1] != '$' && text[i + 1] != '{'))
            {
                result.Append(c);
                continue;
            }
            if (text[i + 1] == '$')
            {
                result.Append('$');
                i++;
                continue;
            }
            int close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                problems.Add(At(scalar, i, file, "'${' is not closed by '}' (write '$$' for a literal '$')"));
                return null;
            }
            var body = text[(i + 2)..close];
            int split = body.IndexOf(":-", StringComparison.Ordinal);
            var name = split >= 0 ? body[..split] : body;
            if (!IsName(name))
            {
                problems.Add(At(scalar, i, file, $"'${{{body}}}' does not name a variable (letters, digits and '_'; write '$$' for a literal '$')"));
                ok = false;
            }
            else if (variables.TryGetValue(name, out var value) && value is not null && (split < 0 || value.Length > 0))
            {
                result.Append(value);
            }
            else if (split >= 0)
            {
                result.Append(body[(split + 2)..]);
            }
            else
            {
                problems.Add(At(scalar, i, file, $"environment variable {name} is not set (give a default with ${{{name}:-value}})"));
                ok = false;
            }
            i = close;
        }
        return ok ? result.ToString() : null;
    }

    private static bool IsName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');

    private static ConfigProblem At(ConfigScalar scalar, int offset, string file, string message)
    {
        bool oneLine = !scalar.Value.Contains('\n', StringComparison.Ordinal);
        // A quoted scalar starts at its quote; escapes before the offset would shift it, which is rare enough to accept.
        int column = oneLine ? scalar.Column + offset + (scalar.Plain ? 0 : 1) : scalar.Column;
        return new ConfigProblem(file, scalar.Line, column, message);
    }
}
