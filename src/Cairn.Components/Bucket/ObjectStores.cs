using Cairn.Storage;

namespace Cairn.Components.Bucket;

/// <summary>
/// Opens the object store an "s3:…" or "azure:…" url names, with credentials from the component's options laid over
/// the variables the repository stores read (AWS_*, AZURE_*): options that name an identity replace the environment's.
/// </summary>
internal static class ObjectStores
{
    public static IObjectStore Open(string url, BucketOptions options, Func<string, string?> environment)
    {
        var transfer = new TransferOptions { Connections = Math.Max(1, options.Connections), RequestTimeout = options.Timeout };
        if (url.StartsWith("s3:", StringComparison.Ordinal)) return new S3ObjectStore(url, transfer, S3Variables(options, environment));
        if (url.StartsWith("azure:", StringComparison.Ordinal)) return new AzureObjectStore(url, transfer, AzureVariables(options, environment));
        throw new CairnException($"bucket url '{url}' is neither s3:… nor azure:…: use s3:https://host[:port]/bucket[/prefix], " +
                                 "s3:bucket[/prefix] or azure:container[/prefix]", ExitCode.Usage);
    }

    /// <summary>The AWS variables S3Credentials.Resolve reads, with the options' values first.</summary>
    public static Func<string, string?> S3Variables(BucketOptions options, Func<string, string?> environment)
    {
        // Keys from the options and a session token from the environment would belong to different identities.
        var own = options.AccessKeyId is not null || options.SecretAccessKey is not null || options.Profile is not null;
        return name => name switch
        {
            "AWS_ACCESS_KEY_ID" => own ? options.AccessKeyId : environment(name),
            "AWS_SECRET_ACCESS_KEY" => own ? options.SecretAccessKey : environment(name),
            "AWS_SESSION_TOKEN" => own ? options.SessionToken : environment(name),
            "AWS_PROFILE" => own ? options.Profile : environment(name),
            "AWS_DEFAULT_PROFILE" => own ? null : environment(name),
            "AWS_REGION" => options.Region ?? environment(name),
            "AWS_DEFAULT_REGION" => options.Region is null ? environment(name) : null,
            "AWS_CA_BUNDLE" => options.CaBundle ?? environment(name),
            _ => environment(name),
        };
    }

    /// <summary>The Azure variables AzureCredentials.FromEnvironment reads, with the options' values first.</summary>
    public static Func<string, string?> AzureVariables(BucketOptions options, Func<string, string?> environment)
    {
        var own = options.ConnectionString is not null || options.AccountName is not null;
        return name => name switch
        {
            "AZURE_STORAGE_CONNECTION_STRING" => own ? options.ConnectionString : environment(name),
            "AZURE_ACCOUNT_NAME" => own ? options.AccountName : environment(name),
            "AZURE_ACCOUNT_KEY" => own ? options.AccountKey : environment(name),
            "AZURE_ACCOUNT_SAS" => own ? options.Sas : environment(name),
            "AZURE_ENDPOINT" => options.Endpoint ?? (own ? null : environment(name)),
            "AZURE_ENDPOINT_SUFFIX" => own ? null : environment(name),
            _ => environment(name),
        } is { Length: > 0 } value ? value : null;
    }
}
