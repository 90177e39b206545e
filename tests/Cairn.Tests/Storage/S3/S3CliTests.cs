using Amazon.S3.Model;
using Cairn.Tests.Cli;
using static Cairn.Tests.Cli.CliHarness;

namespace Cairn.Tests.Storage.S3;

/// <summary>
/// The CLI through "s3:http://127.0.0.1:PORT/bucket/prefix" locations against s3rver: init creates the bucket, backup,
/// restore and check work, and each way of failing (wrong keys, missing bucket, nothing listening, a bad storage class)
/// gives its one line and exit code.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class S3CliTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new();
    private readonly string _bucket = S3TestServer.NewBucketName("cli");

    public Task InitializeAsync()
    {
        _cli.Env["CAIRN_REPOSITORY"] = $"s3:{S3TestServer.Endpoint}/{_bucket}/hosts/db1";
        _cli.Env["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKey;
        _cli.Env["AWS_SECRET_ACCESS_KEY"] = S3TestServer.SecretKey;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await S3TestServer.DeleteBucketAsync(_bucket);
        _cli.Dispose();
    }

    [Fact]
    public async Task Init_creates_the_bucket_then_backup_restore_and_check_round_trip_a_tree()
    {
        var source = _cli.MakeTree();

        await _cli.RunAsync(0, "init");
        await _cli.RunAsync(0, "backup", source);
        File.WriteAllText(Path.Combine(source, "a.txt"), "changed\n");
        await _cli.RunAsync(0, "backup", source);
        var restored = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", restored);
        await _cli.RunAsync(0, "check", "--read-data");

        TreeAssert.Equal(source, restored + source);
        Assert.Equal(2, (await _cli.RunAsync(0, "snapshots", "--json")).Json.GetArrayLength());
        // Everything lives under the location's prefix, in the repository's folders.
        var keys = (await S3TestServer.HeadClassesAsync(_bucket)).Keys.ToList();
        Assert.All(keys, key => Assert.StartsWith("hosts/db1/", key));
        Assert.Contains("hosts/db1/config", keys);
        foreach (var folder in new[] { "keys/", "data/", "index/", "snapshots/" })
            Assert.Contains(keys, key => key.StartsWith("hosts/db1/" + folder, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_init_in_the_same_bucket_and_prefix_is_refused()
    {
        await S3TestServer.CreateBucketAsync(_bucket);
        await _cli.RunAsync(0, "init");

        AssertOneLine(await _cli.RunAsync(2, "init"), "already exists");
    }

    [Theory]
    [InlineData("STANDARD_IA")]
    [InlineData("glacier")]
    [InlineData("DEEP_ARCHIVE")]
    public async Task Data_packs_go_to_the_storage_class_asked_for_and_metadata_stays_standard(string storageClass)
    {
        var source = _cli.MakeTree();
        await _cli.RunAsync(0, "init");

        await _cli.RunAsync(0, "--data-storage-class", storageClass, "backup", source);

        // Read back from the server: HEAD reports the class each object was stored with (no header means STANDARD).
        // Packs of file data take the class; the pack of trees stays STANDARD, as backup reads trees.
        var classes = await S3TestServer.HeadClassesAsync(_bucket);
        var packs = classes.Where(c => c.Key.StartsWith("hosts/db1/data/", StringComparison.Ordinal)).ToList();
        Assert.Contains(packs, pack => pack.Value == storageClass.ToUpperInvariant());
        Assert.Contains(packs, pack => pack.Value is null);
        Assert.All(packs, pack => Assert.True(pack.Value is null || pack.Value == storageClass.ToUpperInvariant(), $"{pack.Key}: {pack.Value}"));
        var metadata = classes.Except(packs).ToList();
        Assert.Contains(metadata, m => m.Key.Contains("/snapshots/", StringComparison.Ordinal));
        Assert.Contains(metadata, m => m.Key.Contains("/index/", StringComparison.Ordinal));
        Assert.All(metadata, m => Assert.Null(m.Value));
    }

    [Fact]
    public async Task An_unknown_storage_class_is_a_usage_error_that_lists_the_choices()
    {
        var result = await _cli.RunAsync(2, "--data-storage-class", "FROZEN", "snapshots");

        AssertOneLine(result, "'FROZEN' is not an S3 storage class");
        Assert.Contains("DEEP_ARCHIVE", result.Stderr);
    }

    [Fact]
    public async Task A_storage_class_the_service_rejects_fails_the_backup_with_a_usage_error_naming_it()
    {
        // s3rver 3.7.1 knows no GLACIER_IR (its list of classes predates it); real S3 accepts it.
        var source = _cli.MakeTree();
        await _cli.RunAsync(0, "init");

        var result = await _cli.RunAsync(2, "--data-storage-class", "GLACIER_IR", "backup", source);

        AssertOneLine(result, "GLACIER_IR");
        Assert.Empty((await _cli.RunAsync(0, "snapshots", "--json")).Json.EnumerateArray());
    }

    [Fact]
    public async Task An_unknown_access_key_exits_19_without_printing_the_keys()
    {
        await _cli.RunAsync(0, "init");
        _cli.Env["AWS_ACCESS_KEY_ID"] = "NOSUCHKEYID4711";
        _cli.Env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-d41d8cd98f00b204";

        // s3rver 3.7.1 checks that the key id exists but does not verify SigV4 signatures, so a wrong secret with a
        // known key id gets through there; real S3 answers SignatureDoesNotMatch, which S3ErrorsTests maps to 19 too.
        var result = await _cli.RunAsync(19, "snapshots");

        AssertOneLine(result, "refused the credentials");
        Assert.Contains("AWS_ACCESS_KEY_ID", result.Stderr);
        Assert.DoesNotContain("wrong-secret", result.Stderr + result.Stdout);
        Assert.DoesNotContain("NOSUCHKEYID4711", result.Stderr + result.Stdout);
    }

    [Fact]
    public async Task Credentials_come_from_the_profile_in_the_shared_credentials_file()
    {
        _cli.Env.Remove("AWS_ACCESS_KEY_ID");
        _cli.Env.Remove("AWS_SECRET_ACCESS_KEY");
        var file = Path.Combine(_cli.Root, "aws-credentials");
        File.WriteAllText(file, $"[default]\naws_access_key_id = NOTTHISONE\naws_secret_access_key = nope\n\n" +
                                $"[backup]\naws_access_key_id = {S3TestServer.AccessKey}\naws_secret_access_key = {S3TestServer.SecretKey}\n");
        _cli.Env["AWS_SHARED_CREDENTIALS_FILE"] = file;
        _cli.Env["AWS_PROFILE"] = "backup";

        await _cli.RunAsync(0, "init");
        _cli.Env.Remove("AWS_PROFILE");
        var withDefault = await _cli.RunAsync(19, "snapshots");
        _cli.Env["AWS_PROFILE"] = "nosuchprofile";
        var missingProfile = await _cli.RunAsync(2, "snapshots");

        AssertOneLine(withDefault, "profile 'default'");
        AssertOneLine(missingProfile, "'nosuchprofile' not found");
    }

    [Fact]
    public async Task A_missing_bucket_exits_10_and_says_init_creates_it()
    {
        var result = await _cli.RunAsync(10, "snapshots");

        AssertOneLine(result, $"the bucket '{_bucket}' does not exist");
        Assert.Contains("cairn init", result.Stderr);
    }

    [Fact]
    public async Task An_existing_bucket_without_a_repository_exits_10()
    {
        await S3TestServer.CreateBucketAsync(_bucket);

        AssertOneLine(await _cli.RunAsync(10, "snapshots"), "there is no repository at s3:");
    }

    [Fact]
    public async Task Nothing_listening_on_the_port_exits_18_with_one_line()
    {
        var port = S3TestServer.FreePort();
        _cli.Env["CAIRN_REPOSITORY"] = $"s3:http://127.0.0.1:{port}/{_bucket}";

        var result = await _cli.RunAsync(18, "--timeout", "5s", "snapshots");

        AssertOneLine(result, $"cannot reach http://127.0.0.1:{port}");
        Assert.Contains("connection refused", result.Stderr);
    }

    [Theory]
    [InlineData("s3:", "names no bucket")]
    [InlineData("s3:http://127.0.0.1:1/", "names no bucket")]
    [InlineData("s3:https://AKIA:secret@s3.example.com/bucket", "contains credentials")]
    [InlineData("s3:no!such-bucket/prefix", "not a valid bucket name")]
    [InlineData("s3:http://127.0.0.1:1/bucket/a//b", "empty, '.' or '..' segments")]
    public async Task A_malformed_location_is_a_usage_error(string location, string expected)
    {
        _cli.Env["CAIRN_REPOSITORY"] = location;

        var result = await _cli.RunAsync(2, "snapshots");

        AssertOneLine(result, expected);
        Assert.DoesNotContain("secret", result.Stderr);
    }

    [Fact]
    public async Task Over_https_a_server_certificate_from_AWS_CA_BUNDLE_is_trusted_and_an_unknown_one_is_refused()
    {
        using var server = new PrivateS3rver(tls: true);
        await server.StartAsync();
        _cli.Env["CAIRN_REPOSITORY"] = $"s3:{server.Endpoint}/{_bucket}/repo";
        var source = _cli.MakeTree();

        var untrusted = await _cli.RunAsync(18, "init");
        _cli.Env["AWS_CA_BUNDLE"] = server.CertificatePath;
        await _cli.RunAsync(0, "init");
        await _cli.RunAsync(0, "backup", source);
        await _cli.RunAsync(0, "check", "--read-data");
        var restored = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", restored);

        AssertOneLine(untrusted, "TLS handshake failed");
        TreeAssert.Equal(source, restored + source);
    }

    [Fact]
    public async Task A_server_stopped_mid_backup_fails_it_cleanly_and_the_next_backup_after_a_restart_succeeds()
    {
        using var server = new PrivateS3rver();
        await server.StartAsync();
        _cli.Env["CAIRN_REPOSITORY"] = $"s3:{server.Endpoint}/{_bucket}/repo";
        var source = Path.Combine(_cli.Root, "big");
        Directory.CreateDirectory(source);
        for (var i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(source, $"part{i}.bin"), CliHarness.RandomBytes(16 << 20, seed: i));
        await _cli.RunAsync(0, "init");

        // One upload at a time: once the first of the four packs arrives, the others are still being made and sent.
        var backup = _cli.RunAsync("--timeout", "10s", "--connections", "1", "backup", source);
        using (var admin = S3TestServer.AdminClient(server.Endpoint))
        {
            // Stop the server once the first pack has started to arrive (s3rver lists an object while it is written).
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!backup.IsCompleted && DateTime.UtcNow < deadline)
            {
                var packs = await admin.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "repo/data/" });
                if (packs.S3Objects is { Count: > 0 }) break;
                await Task.Delay(20);
            }
        }

        if (backup.IsCompleted) Assert.Fail($"the backup ended before the server could be stopped: {await backup}");
        server.Stop();
        var failed = await backup;

        Assert.Contains(failed.ExitCode, new[] { 16, 18 });
        AssertOneLine(failed, "cairn: ");
        Assert.Contains(server.Endpoint, failed.Stderr);

        await server.StartAsync();
        await _cli.RunAsync(0, "backup", source);
        await _cli.RunAsync(0, "check");
        var restored = Path.Combine(_cli.Root, "restored");
        await _cli.RunAsync(0, "restore", "latest", "--target", restored);
        TreeAssert.Equal(source, restored + source);
    }
}
