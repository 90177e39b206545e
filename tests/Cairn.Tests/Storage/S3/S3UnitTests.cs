using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Cairn.Storage;
using Cairn.Storage.S3;
using S3Location = Cairn.Storage.S3.S3Location;

namespace Cairn.Tests.Storage.S3;

/// <summary>Location parsing, credential lookup and error mapping: the parts of the S3 store that need no server.</summary>
public sealed class S3UnitTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cairn-s3unit-" + Guid.NewGuid().ToString("N")[..12]);

    public S3UnitTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("s3:https://s3.example.com/bucket", "https://s3.example.com/", "bucket", "")]
    [InlineData("s3:http://127.0.0.1:9000/bucket/a/b/", "http://127.0.0.1:9000/", "bucket", "a/b")]
    [InlineData("s3:HTTPS://minio.local:443/my.bucket-1/p", "https://minio.local/", "my.bucket-1", "p")]
    [InlineData("s3:backups-eu/hosts/db1", null, "backups-eu", "hosts/db1")]
    [InlineData("s3:backups-eu", null, "backups-eu", "")]
    public void Locations_parse_into_endpoint_bucket_and_prefix(string text, string? endpoint, string bucket, string prefix)
    {
        var location = S3Location.Parse(text);

        Assert.Equal(text, location.Text);
        Assert.Equal(endpoint, location.Endpoint?.ToString());
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
        Assert.Equal(prefix.Length == 0 ? "data/ab/abc" : prefix + "/data/ab/abc", location.KeyOf("data/ab/abc"));
    }

    [Theory]
    [InlineData("s3:ab")]
    [InlineData("s3:/")]
    [InlineData("s3:https://")]
    [InlineData("s3:https://host/bucket?x=1")]
    [InlineData("s3:bucket/../other")]
    public void Malformed_locations_are_usage_errors(string text) =>
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => S3Location.Parse(text)).ExitCode);

    [Fact]
    public void Keys_in_the_environment_come_first_with_their_session_token_and_region()
    {
        var identity = S3Credentials.Resolve(Variables(("AWS_ACCESS_KEY_ID", "AK"), ("AWS_SECRET_ACCESS_KEY", "SK"), ("AWS_SESSION_TOKEN", "TOK"),
            ("AWS_DEFAULT_REGION", "eu-west-3"), ("AWS_PROFILE", "ignored"), ("HOME", _dir)));

        var keys = identity.Credentials!.GetCredentials();
        Assert.Equal(("AK", "SK", "TOK"), (keys.AccessKey, keys.SecretKey, keys.Token));
        Assert.Equal("eu-west-3", identity.Region);
        Assert.DoesNotContain("SK", identity.Source);
    }

    [Fact]
    public void Half_a_key_pair_is_a_usage_error()
    {
        var e = Assert.Throws<CairnException>(() => S3Credentials.Resolve(Variables(("AWS_ACCESS_KEY_ID", "AK"))));

        Assert.Equal(ExitCode.Usage, e.ExitCode);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", e.Message);
    }

    [Fact]
    public void The_profile_comes_from_the_credentials_file_under_home_with_its_region_from_the_config_file()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".aws"));
        File.WriteAllText(Path.Combine(_dir, ".aws", "credentials"),
            "[default]\naws_access_key_id = DEF\naws_secret_access_key = DEFSECRET\nregion = ap-south-1\n\n[ops]\naws_access_key_id = OPS\naws_secret_access_key = OPSSECRET\n");

        File.WriteAllText(Path.Combine(_dir, ".aws", "config"), "[profile ops]\nregion = eu-north-1\n");

        var byDefault = S3Credentials.Resolve(Variables(("HOME", _dir)));
        var named = S3Credentials.Resolve(Variables(("HOME", _dir), ("AWS_PROFILE", "ops")));
        var overridden = S3Credentials.Resolve(Variables(("HOME", _dir), ("AWS_PROFILE", "ops"), ("AWS_REGION", "us-west-2")));

        Assert.Equal("DEF", byDefault.Credentials!.GetCredentials().AccessKey);
        Assert.Equal("ap-south-1", byDefault.Region);
        Assert.Contains("profile 'default'", byDefault.Source);
        Assert.Equal(("OPS", "OPSSECRET"), (named.Credentials!.GetCredentials().AccessKey, named.Credentials.GetCredentials().SecretKey));
        Assert.Equal("eu-north-1", named.Region);
        Assert.Equal("us-west-2", overridden.Region);
    }

    [Fact]
    public void A_named_profile_that_does_not_exist_is_an_error_and_no_profile_at_all_leaves_the_sdk_chain()
    {
        var file = Path.Combine(_dir, "creds");
        File.WriteAllText(file, "[other]\naws_access_key_id = A\naws_secret_access_key = B\n");

        var e = Assert.Throws<CairnException>(() => S3Credentials.Resolve(Variables(("AWS_SHARED_CREDENTIALS_FILE", file), ("AWS_PROFILE", "ops"))));
        var none = S3Credentials.Resolve(Variables(("AWS_SHARED_CREDENTIALS_FILE", file)));

        Assert.Contains("'ops' not found in " + file, e.Message);
        Assert.Null(none.Credentials);
        Assert.Contains("default credential chain", none.Source);
    }

    [Theory]
    [InlineData("NoSuchKey", HttpStatusCode.NotFound, typeof(BlobNotFoundException), false)]
    [InlineData("NoSuchBucket", HttpStatusCode.NotFound, typeof(StorageLocationNotFoundException), false)]
    [InlineData("SignatureDoesNotMatch", HttpStatusCode.Forbidden, typeof(StorageAccessDeniedException), false)]
    [InlineData("InvalidAccessKeyId", HttpStatusCode.Forbidden, typeof(StorageAccessDeniedException), false)]
    [InlineData("ExpiredToken", HttpStatusCode.BadRequest, typeof(StorageAccessDeniedException), false)]
    [InlineData("", HttpStatusCode.Forbidden, typeof(StorageAccessDeniedException), false)]
    [InlineData("SlowDown", HttpStatusCode.ServiceUnavailable, typeof(StorageException), true)]
    [InlineData("InternalError", HttpStatusCode.InternalServerError, typeof(StorageException), true)]
    [InlineData("", HttpStatusCode.BadGateway, typeof(StorageException), true)]
    [InlineData("RequestTimeout", HttpStatusCode.BadRequest, typeof(StorageException), true)]
    [InlineData("BadDigest", HttpStatusCode.BadRequest, typeof(StorageException), true)]
    [InlineData("AuthorizationHeaderMalformed", HttpStatusCode.BadRequest, typeof(StorageException), false)]
    [InlineData("InvalidArgument", HttpStatusCode.BadRequest, typeof(StorageException), false)]
    [InlineData("RequestTimeTooSkewed", HttpStatusCode.Forbidden, typeof(StorageException), false)]
    public void Service_errors_map_to_cairn_storage_errors(string code, HttpStatusCode status, Type expected, bool transient)
    {
        var error = new AmazonS3Exception("the service said no", null, ErrorType.Sender, code, "req-1", status);

        var mapped = Assert.IsAssignableFrom<StorageException>(Errors().Map(error, "read", new BlobName(BlobKind.Pack, "abcd"), CancellationToken.None));

        Assert.IsType(expected, mapped);
        Assert.Equal(transient, mapped.IsTransient);
    }

    [Fact]
    public void Refused_credentials_name_their_source_and_a_wrong_region_says_to_set_it()
    {
        var denied = Errors().Map(new AmazonS3Exception("no", null, ErrorType.Sender, "SignatureDoesNotMatch", "r", HttpStatusCode.Forbidden),
            "read", null, CancellationToken.None);
        var region = Errors().Map(new AmazonS3Exception("moved", null, ErrorType.Sender, "PermanentRedirect", "r", HttpStatusCode.MovedPermanently),
            "list", null, CancellationToken.None);

        Assert.Equal(ExitCode.StorageAccessDenied, ((CairnException)denied).ExitCode);
        Assert.Contains("SignatureDoesNotMatch with the credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", denied.Message);
        Assert.Contains("set AWS_REGION", region.Message);
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, "connection refused", true)]
    [InlineData(SocketError.HostNotFound, "host name not found", true)]
    [InlineData(SocketError.TimedOut, "connecting timed out", true)]
    [InlineData(SocketError.ConnectionReset, null, false)]
    public void Network_errors_map_to_unreachable_or_transient(SocketError socketError, string? cause, bool unreachable)
    {
        var error = new HttpRequestException("wrapped", new SocketException((int)socketError));

        var mapped = Assert.IsAssignableFrom<StorageException>(Errors().Map(error, "write", null, CancellationToken.None));

        Assert.True(mapped.IsTransient);
        Assert.Equal(unreachable, mapped is StorageUnreachableException);
        if (cause is not null) Assert.Contains($"cannot reach http://127.0.0.1:9: {cause}", mapped.Message);
    }

    [Fact]
    public void A_timeout_is_transient_but_the_callers_own_cancellation_passes_through()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var timeout = new TaskCanceledException("timed out", new TimeoutException());

        var mapped = Assert.IsAssignableFrom<StorageException>(Errors().Map(timeout, "write", null, CancellationToken.None));
        var passed = Errors().Map(new OperationCanceledException(cancelled.Token), "write", null, cancelled.Token);

        Assert.True(mapped.IsTransient);
        Assert.Contains("timed out after 7s", mapped.Message);
        Assert.IsType<OperationCanceledException>(passed);
    }

    private static S3Errors Errors() =>
        new(S3Location.Parse("s3:http://127.0.0.1:9/bucket"), "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY", TimeSpan.FromSeconds(7));

    private static Func<string, string?> Variables(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
