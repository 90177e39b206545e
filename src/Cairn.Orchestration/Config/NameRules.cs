using System.Text.RegularExpressions;

namespace Cairn.Orchestration.Config;

/// <summary>
/// Names that become directory names in a snapshot (components) or appear in paths and tags (jobs): letters, digits,
/// '.', '_' and '-', starting with a letter or digit, so no name can be "..", hidden, or hold a path separator.
/// </summary>
internal static partial class NameRules
{
    /// <summary>Longest name accepted: well under any file system's limit for one path segment.</summary>
    public const int MaxLength = 100;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Safe();

    /// <summary>Why <paramref name="name"/> is not allowed ("is …"), or null when it is.</summary>
    public static string? Check(string name) => name switch
    {
        "" => "is empty",
        { Length: > MaxLength } => $"is longer than {MaxLength} characters",
        _ when !Safe().IsMatch(name) => "may hold only letters, digits, '.', '_' and '-', and must start with a letter or digit (it names a directory in the snapshot)",
        _ => null,
    };
}
