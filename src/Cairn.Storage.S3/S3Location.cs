namespace Cairn.Storage.S3;

/// <summary>
/// Where an S3 repository lives, parsed from restic's location syntax: <c>s3:https://host[:port]/bucket[/prefix]</c>
/// (or <c>http://</c>) for an S3-compatible service, path-style; <c>s3:bucket[/prefix]</c> for AWS itself.
/// </summary>
/// <param name="Text">The location string as given, for messages (it holds no credentials: those are refused).</param>
/// <param name="Endpoint">The service's base address (scheme, host, port), or null for AWS's regional endpoint.</param>
/// <param name="Bucket">The bucket.</param>
/// <param name="Prefix">The key prefix the repository lives under, without leading or trailing '/'; empty for the bucket's root.</param>
public sealed record S3Location(string Text, Uri? Endpoint, string Bucket, string Prefix)
{
    /// <summary>The prefix of S3 location strings.</summary>
    public const string Scheme = "s3:";

    /// <summary>The full key of a repository path such as "data/ab/ab12…": the prefix, then the path.</summary>
    public string KeyOf(string repositoryPath) => Prefix.Length == 0 ? repositoryPath : Prefix + "/" + repositoryPath;

    /// <summary>Parses <paramref name="location"/> ("s3:…"); a malformed one is a usage error that says what is expected.</summary>
    public static S3Location Parse(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!location.StartsWith(Scheme, StringComparison.Ordinal)) throw Malformed(location, "it does not start with 's3:'");
        var rest = location[Scheme.Length..];
        Uri? endpoint = null;
        string path;
        if (rest.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(rest, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
                throw Malformed(location, "the address after 's3:' is not a valid URL");
            // Credentials in the location would end up in messages, lock files and shell history.
            if (uri.UserInfo.Length > 0)
                throw Malformed($"{Scheme}{uri.Scheme}://…@{uri.Authority}/…",
                    "it contains credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead");
            if (uri.Query.Length > 0 || uri.Fragment.Length > 0) throw Malformed(location, "it has a query or fragment");
            endpoint = new Uri(uri.GetLeftPart(UriPartial.Authority));
            path = Uri.UnescapeDataString(uri.AbsolutePath);
        }
        else
        {
            path = rest;
        }

        var parts = path.Trim('/').Split('/', 2);
        var bucket = parts[0];
        if (bucket.Length == 0) throw Malformed(location, "it names no bucket");
        if (!IsBucketName(bucket)) throw Malformed(location, $"'{bucket}' is not a valid bucket name (3 to 63 lowercase letters, digits, '.' and '-')");
        var prefix = parts.Length > 1 ? parts[1].Trim('/') : "";
        if (prefix.Split('/').Any(segment => segment is "." or ".." || (segment.Length == 0 && prefix.Length > 0)))
            throw Malformed(location, $"the prefix '{prefix}' has empty, '.' or '..' segments");
        return new S3Location(location, endpoint, bucket, prefix);
    }

    // S3's rules for new buckets; older buckets may also have capitals and underscores, which S3-compatible services allow too.
    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    private static CairnException Malformed(string location, string problem) =>
        new($"invalid S3 location '{location}': {problem}; expected s3:https://host[:port]/bucket[/prefix], " +
            "s3:http://host[:port]/bucket[/prefix] or s3:bucket[/prefix] (AWS)", ExitCode.Usage);
}
