using System.Text.RegularExpressions;

namespace Cairn.Storage.Azure;

/// <summary>Where a repository lives in Azure Blob Storage: a container and an optional folder prefix inside it.</summary>
/// <param name="Container">The container name (3 to 63 lowercase letters, digits and single hyphens).</param>
/// <param name="Prefix">The folder inside the container without leading or trailing '/', or "" for the container's root.</param>
public sealed partial record AzureLocation(string Container, string Prefix)
{
    /// <summary>The location string's prefix.</summary>
    public const string Scheme = "azure:";

    /// <summary>Parses "azure:container[/prefix]" (the "azure:" may be left out). A malformed string is a usage error.</summary>
    public static AzureLocation Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var rest = location.StartsWith(Scheme, StringComparison.Ordinal) ? location[Scheme.Length..] : location;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!ContainerName().IsMatch(container))
        {
            throw new CairnException(
                $"'{location}': '{container}' is not an Azure container name (3-63 lowercase letters, digits and single hyphens, " +
                "starting and ending with a letter or digit); the form is azure:container[/prefix]", ExitCode.Usage);
        }

        if (prefix.Split('/').Any(segment => segment is "." or ".." || (segment.Length == 0 && prefix.Length > 0)))
        {
            throw new CairnException($"'{location}': the prefix must be folder names separated by single '/', without '.' or '..'", ExitCode.Usage);
        }

        return new AzureLocation(container, prefix);
    }

    /// <inheritdoc/>
    public override string ToString() => Scheme + Container + (Prefix.Length > 0 ? "/" + Prefix : "");

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex ContainerName();
}
