using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;

namespace Cairn.Storage.Azure;

/// <summary>
/// How to sign in to the storage account, read from the variables restic users know: AZURE_STORAGE_CONNECTION_STRING,
/// or AZURE_ACCOUNT_NAME with AZURE_ACCOUNT_KEY or AZURE_ACCOUNT_SAS; AZURE_ENDPOINT (a full blob service URL, for
/// Azurite or private endpoints) or AZURE_ENDPOINT_SUFFIX (sovereign clouds) say where the account is.
/// </summary>
/// <remarks>The secrets are never part of <see cref="ToString"/> or of any message.</remarks>
public sealed class AzureCredentials
{
    private readonly string? _connectionString;
    private readonly string? _accountKey;
    private readonly string? _sas;

    private AzureCredentials(string? connectionString, string? accountName, string? accountKey, string? sas, Uri? endpoint)
    {
        _connectionString = connectionString;
        AccountName = accountName;
        _accountKey = accountKey;
        _sas = sas;
        Endpoint = endpoint;
    }

    /// <summary>The account name, when given as a variable (a connection string names its own).</summary>
    public string? AccountName { get; }

    /// <summary>The blob service URL for name + key or SAS credentials; null for a connection string.</summary>
    public Uri? Endpoint { get; }

    /// <summary>What to check when the service refuses these credentials: the variables they came from.</summary>
    public string RefusalHint => _connectionString is not null ? "check the account key or SAS in AZURE_STORAGE_CONNECTION_STRING"
        : _accountKey is not null ? "check AZURE_ACCOUNT_NAME and AZURE_ACCOUNT_KEY"
        : "check AZURE_ACCOUNT_NAME and AZURE_ACCOUNT_SAS: the SAS must be for this account, unexpired, and allow read, write, " +
          "delete and list on containers and objects (and create, for init)";

    /// <summary>A connection string (account key or SAS, with its own endpoints).</summary>
    public static AzureCredentials FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new AzureCredentials(connectionString, null, null, null, null);
    }

    /// <summary>An account name with its shared key; <paramref name="endpoint"/> defaults to https://NAME.blob.core.windows.net.</summary>
    public static AzureCredentials FromAccountKey(string accountName, string accountKey, Uri? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountKey);
        return new AzureCredentials(null, accountName, accountKey, null, endpoint ?? DefaultEndpoint(accountName, null));
    }

    /// <summary>An account name with a shared access signature (account or container SAS).</summary>
    public static AzureCredentials FromSas(string accountName, string sas, Uri? endpoint = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentException.ThrowIfNullOrWhiteSpace(sas);
        return new AzureCredentials(null, accountName, null, sas.TrimStart('?'), endpoint ?? DefaultEndpoint(accountName, null));
    }

    /// <summary>
    /// Reads the credentials from <paramref name="variable"/> (the CLI's environment). The connection string wins
    /// over an account name; with a name, the key wins over a SAS. Missing or contradictory settings are usage errors.
    /// </summary>
    public static AzureCredentials FromEnvironment(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var endpointText = variable("AZURE_ENDPOINT");
        var suffix = variable("AZURE_ENDPOINT_SUFFIX");
        if (variable("AZURE_STORAGE_CONNECTION_STRING") is { } connectionString)
        {
            if (endpointText is not null || suffix is not null)
            {
                throw new CairnException(
                    "AZURE_ENDPOINT and AZURE_ENDPOINT_SUFFIX go with AZURE_ACCOUNT_NAME; a connection string names its endpoint " +
                    "itself (BlobEndpoint=… or EndpointSuffix=…): unset one of them", ExitCode.Usage);
            }

            return FromConnectionString(connectionString);
        }

        if (variable("AZURE_ACCOUNT_NAME") is not { } accountName)
        {
            throw new CairnException(
                "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_ACCOUNT_NAME with AZURE_ACCOUNT_KEY or AZURE_ACCOUNT_SAS",
                ExitCode.Usage);
        }

        var endpoint = endpointText is not null ? ParseEndpoint(endpointText) : DefaultEndpoint(accountName, suffix);
        if (variable("AZURE_ACCOUNT_KEY") is { } key) return FromAccountKey(accountName, key, endpoint);
        if (variable("AZURE_ACCOUNT_SAS") is { } sas) return FromSas(accountName, sas, endpoint);
        throw new CairnException(
            "AZURE_ACCOUNT_NAME is set but neither AZURE_ACCOUNT_KEY nor AZURE_ACCOUNT_SAS is: set one of them", ExitCode.Usage);
    }

    /// <summary>Creates the service client; a key that is not base64 is refused here, before any request.</summary>
    internal BlobServiceClient CreateServiceClient(BlobClientOptions options)
    {
        if (_connectionString is not null)
        {
            try
            {
                return new BlobServiceClient(_connectionString, options);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // The SDK's message may quote the string, which holds the key: say only which variable is wrong.
                throw new StorageAccessDeniedException("Azure", "AZURE_STORAGE_CONNECTION_STRING is not a valid storage connection string");
            }
        }

        if (_accountKey is not null)
        {
            StorageSharedKeyCredential credential;
            try
            {
                credential = new StorageSharedKeyCredential(AccountName, _accountKey);
            }
            catch (FormatException)
            {
                throw new StorageAccessDeniedException($"Azure account {AccountName}", "AZURE_ACCOUNT_KEY is not a base64 account key");
            }

            return new BlobServiceClient(Endpoint, credential, options);
        }

        return new BlobServiceClient(Endpoint, new AzureSasCredential(_sas!), options);
    }

    /// <inheritdoc/>
    public override string ToString() => AccountName is null ? "connection string" : $"account {AccountName}";

    private static Uri DefaultEndpoint(string accountName, string? suffix) =>
        new($"https://{accountName}.blob.{suffix?.Trim('.') ?? "core.windows.net"}");

    private static Uri ParseEndpoint(string text)
    {
        if (!Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CairnException("AZURE_ENDPOINT must be the blob service's http:// or https:// URL", ExitCode.Usage);
        }

        if (uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            // Never echo it: a query here is most likely a SAS, which belongs in AZURE_ACCOUNT_SAS.
            throw new CairnException("AZURE_ENDPOINT must not carry a query or user info: put a SAS in AZURE_ACCOUNT_SAS", ExitCode.Usage);
        }

        return uri;
    }
}
