namespace Cairn.Components.Bucket;

/// <summary>Options of a <c>bucket</c> component: an S3 bucket or Azure container (under a prefix) backed up as a source.</summary>
public sealed record BucketOptions : ComponentOptions
{
    /// <summary>
    /// Where the objects are, in the repository stores' syntax: <c>s3:https://host[:port]/bucket[/prefix]</c>,
    /// <c>s3:bucket[/prefix]</c> (AWS) or <c>azure:container[/prefix]</c>. Keys are stored relative to the prefix.
    /// </summary>
    public required string Url { get; init; }

    /// <summary>Keys (relative to the prefix) to back up: prefixes, or globs when they hold * ? or [ (** crosses '/'). Empty: all.</summary>
    public List<string> Include { get; init; } = [];

    /// <summary>Keys to leave out, in the same syntax as <see cref="Include"/>; they win over includes.</summary>
    public List<string> Exclude { get; init; } = [];

    /// <summary>How many uploads a restore runs at once (and the HTTP connections it keeps).</summary>
    public int Connections { get; init; } = 4;

    /// <summary>How long one request may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>S3: the access key id; with it, the environment's AWS_* credentials are not used.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>S3: the secret access key.</summary>
    [Secret]
    public string? SecretAccessKey { get; init; }

    /// <summary>S3: the session token of temporary credentials.</summary>
    [Secret]
    public string? SessionToken { get; init; }

    /// <summary>S3: a profile of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).</summary>
    public string? Profile { get; init; }

    /// <summary>S3: the region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1).</summary>
    public string? Region { get; init; }

    /// <summary>S3: a PEM file of extra certificate authorities to trust (else AWS_CA_BUNDLE).</summary>
    public string? CaBundle { get; init; }

    /// <summary>Azure: a storage connection string; with it, the environment's AZURE_* credentials are not used.</summary>
    [Secret]
    public string? ConnectionString { get; init; }

    /// <summary>Azure: the storage account name (with <see cref="AccountKey"/> or <see cref="Sas"/>).</summary>
    public string? AccountName { get; init; }

    /// <summary>Azure: an access key of the account.</summary>
    [Secret]
    public string? AccountKey { get; init; }

    /// <summary>Azure: a shared access signature.</summary>
    [Secret]
    public string? Sas { get; init; }

    /// <summary>Azure: the blob service URL (Azurite, private endpoints), with an account name.</summary>
    public string? Endpoint { get; init; }
}
