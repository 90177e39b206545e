using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;

namespace Cairn.Storage.S3;

/// <summary>
/// The credentials and region an S3 store signs with, and where they came from (for messages; never the secrets).
/// </summary>
/// <param name="Credentials">The credentials, or null to let the SDK's default chain find them at the first request
/// (container and instance roles, SSO caches, …).</param>
/// <param name="Region">The region named by the environment or the profile; null when neither names one.</param>
/// <param name="Source">Where the credentials were read, e.g. "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".</param>
public sealed record S3Identity(AWSCredentials? Credentials, string? Region, string Source)
{
    /// <summary>Fixed keys (tests, or a caller that has them from elsewhere).</summary>
    public static S3Identity FromKeys(string accessKey, string secretKey, string? region = null) =>
        new(new BasicAWSCredentials(accessKey, secretKey), region, "the given access key");
}

/// <summary>
/// Finds S3 credentials where AWS tools look for them, in their order, reading variables from the caller's environment
/// (the CLI's, so tests can isolate runs) rather than the process's.
/// </summary>
public static class S3Credentials
{
    /// <summary>
    /// In order: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN); the profile AWS_PROFILE (else
    /// "default") in AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials); else the SDK's default chain. The region is
    /// AWS_REGION, AWS_DEFAULT_REGION, or the profile's.
    /// </summary>
    /// <param name="variable">Looks up an environment variable; null or empty means unset.</param>
    public static S3Identity Resolve(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        string? Get(string name) => variable(name) is { Length: > 0 } value ? value : null;

        var region = Get("AWS_REGION") ?? Get("AWS_DEFAULT_REGION");
        var keyId = Get("AWS_ACCESS_KEY_ID");
        var secret = Get("AWS_SECRET_ACCESS_KEY");
        if (keyId is not null || secret is not null)
        {
            if (keyId is null || secret is null)
                throw new CairnException($"{(keyId is null ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID")} is set but " +
                    $"{(keyId is null ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY")} is not: set both (and AWS_SESSION_TOKEN for temporary keys)", ExitCode.Usage);
            AWSCredentials keys = Get("AWS_SESSION_TOKEN") is { } token
                ? new SessionAWSCredentials(keyId, secret, token)
                : new BasicAWSCredentials(keyId, secret);
            return new S3Identity(keys, region, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
        }

        var explicitProfile = Get("AWS_PROFILE") ?? Get("AWS_DEFAULT_PROFILE");
        var profileName = explicitProfile ?? "default";
        var file = Get("AWS_SHARED_CREDENTIALS_FILE")
                   ?? (Get("HOME") is { } home ? Path.Combine(home, ".aws", "credentials") : null);
        if (file is not null && File.Exists(file))
        {
            var store = new SharedCredentialsFile(file);
            if (store.TryGetProfile(profileName, out var profile))
            {
                var source = $"profile '{profileName}' in {file}";
                if (!AWSCredentialsFactory.TryGetAWSCredentials(profile, store, out var fromProfile))
                    throw new StorageAccessDeniedException("S3", $"{source} has no usable credentials (needs aws_access_key_id and aws_secret_access_key, or a role)");
                return new S3Identity(fromProfile, region ?? profile.Region?.SystemName, source);
            }
        }

        // A profile asked for by name that is nowhere is a mistake to report, not a reason to try other credentials.
        if (explicitProfile is not null)
            throw new CairnException($"AWS profile '{explicitProfile}' not found in {file ?? "~/.aws/credentials"} " +
                "(set AWS_SHARED_CREDENTIALS_FILE if it is elsewhere)", ExitCode.Usage);
        return new S3Identity(null, region, "the AWS SDK's default credential chain (instance or container role, SSO)");
    }
}
