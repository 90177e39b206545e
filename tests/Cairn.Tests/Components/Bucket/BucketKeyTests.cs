using Cairn.Components.Bucket;

namespace Cairn.Tests.Components.Bucket;

public sealed class BucketKeyTests
{
    [Theory]
    [InlineData("photos/", "photos/2024/a.jpg", true)]
    [InlineData("photos/", "photosphere.jpg", false)]
    [InlineData("photos", "photosphere.jpg", true)]
    [InlineData("*.log", "app.log", true)]
    [InlineData("*.log", "logs/app.log", false)]
    [InlineData("**/*.log", "app.log", true)]
    [InlineData("**/*.log", "logs/2024/app.log", true)]
    [InlineData("logs/**", "logs/2024/app.log", true)]
    [InlineData("logs/**", "other/app.log", false)]
    [InlineData("data/?.bin", "data/a.bin", true)]
    [InlineData("data/?.bin", "data/ab.bin", false)]
    [InlineData("data/[a-c].bin", "data/b.bin", true)]
    [InlineData("data/[!a-c].bin", "data/b.bin", false)]
    [InlineData("data/[!a-c].bin", "data/d.bin", true)]
    [InlineData("a+b(1)/*", "a+b(1)/x", true)]
    public void Patterns_are_prefixes_or_globs(string pattern, string key, bool matches)
    {
        Assert.Equal(matches, KeyPattern.Parse(pattern).Matches(key));
    }

    [Fact]
    public void Excludes_win_over_includes_and_no_include_means_all()
    {
        var filter = new KeyFilter(["site/", "**/*.json"], ["site/tmp/", "**/secret*"]);
        Assert.True(filter.Matches("site/index.html"));
        Assert.True(filter.Matches("conf/app.json"));
        Assert.False(filter.Matches("site/tmp/x"));
        Assert.False(filter.Matches("site/secret.txt"));
        Assert.False(filter.Matches("other/file"));
        Assert.True(new KeyFilter([], ["x/"]).Matches("anything"));
    }

    [Fact]
    public void Bad_patterns_are_usage_errors()
    {
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => KeyPattern.Parse("")).ExitCode);
        Assert.Equal(ExitCode.Usage, Assert.Throws<CairnException>(() => KeyPattern.Parse("a[bc")).ExitCode);
    }

    [Fact]
    public void Keys_that_are_paths_are_stored_at_themselves_the_others_escaped()
    {
        string[] keys = ["a", "a/b", "dir/", "x//y", "/lead", "./dot", "x/../y", "", "ok/ünï cödé (1).txt", new string('z', 300), "c/d/e"];
        var paths = ObjectPaths.Assign(keys);

        Assert.Equal("objects/a/b", paths["a/b"]);
        Assert.Equal("objects/ok/ünï cödé (1).txt", paths["ok/ünï cödé (1).txt"]);
        Assert.Equal("objects/c/d/e", paths["c/d/e"]);
        // "a" is also the folder of "a/b"; the others cannot be paths at all.
        foreach (var odd in new[] { "a", "dir/", "x//y", "/lead", "./dot", "x/../y", "", new string('z', 300) })
        {
            Assert.Equal(ObjectPaths.EscapedPath(odd), paths[odd]);
            Assert.Matches("^escaped/[0-9a-f]{64}$", paths[odd]);
        }

        Assert.Equal(keys.Length, paths.Values.Distinct().Count());
    }

    [Fact]
    public async Task Manifest_lines_round_trip()
    {
        var record = new ObjectRecord
        {
            Key = "a/b \"q\".txt",
            Path = "objects/a/b \"q\".txt",
            Size = 12,
            ETag = "abc",
            LastModified = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Properties = new ObjectProperties { ContentType = "text/plain", CacheControl = "no-cache", Metadata = { ["owner"] = "ops", ["k2"] = "v2" } },
        };
        var line = record.ToJsonLine();
        Assert.DoesNotContain('\n', line);
        Assert.Contains("\"content_type\":\"text/plain\"", line, StringComparison.Ordinal);

        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line + "\n" + line + "\n"));
        var read = await ObjectRecord.ReadAllAsync(stream, CancellationToken.None);
        Assert.Equal(2, read.Count);
        Assert.Equal(record.Key, read[0].Key);
        Assert.Equal(record.LastModified, read[0].LastModified);
        Assert.Equal("no-cache", read[0].Properties.CacheControl);
        Assert.Equal(record.Properties.Metadata, read[0].Properties.Metadata);

        using var bad = new MemoryStream("{\"key\":1\n"u8.ToArray());
        await Assert.ThrowsAsync<IntegrityException>(() => ObjectRecord.ReadAllAsync(bad, CancellationToken.None));
    }

    [Fact]
    public void Credentials_in_the_options_replace_the_environments_identity()
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "ENVKEY", ["AWS_SECRET_ACCESS_KEY"] = "envsecret", ["AWS_SESSION_TOKEN"] = "envtoken", ["AWS_REGION"] = "eu-west-1",
            ["AZURE_ACCOUNT_NAME"] = "envaccount", ["AZURE_ACCOUNT_KEY"] = "envkey", ["AZURE_ENDPOINT"] = "http://env",
        };
        string? Env(string name) => environment.GetValueOrDefault(name);

        var own = new BucketOptions { Url = "s3:b/p", AccessKeyId = "OPTKEY", SecretAccessKey = "optsecret" };
        var s3 = ObjectStores.S3Variables(own, Env);
        Assert.Equal("OPTKEY", s3("AWS_ACCESS_KEY_ID"));
        Assert.Equal("optsecret", s3("AWS_SECRET_ACCESS_KEY"));
        Assert.Null(s3("AWS_SESSION_TOKEN"));
        Assert.Equal("eu-west-1", s3("AWS_REGION"));
        Assert.Equal("ENVKEY", ObjectStores.S3Variables(new BucketOptions { Url = "s3:b" }, Env)("AWS_ACCESS_KEY_ID"));
        Assert.Equal("us-east-2", ObjectStores.S3Variables(new BucketOptions { Url = "s3:b", Region = "us-east-2" }, Env)("AWS_REGION"));

        var azure = ObjectStores.AzureVariables(new BucketOptions { Url = "azure:c", ConnectionString = "cs" }, Env);
        Assert.Equal("cs", azure("AZURE_STORAGE_CONNECTION_STRING"));
        Assert.Null(azure("AZURE_ACCOUNT_NAME"));
        Assert.Null(azure("AZURE_ENDPOINT"));
        Assert.Equal("envaccount", ObjectStores.AzureVariables(new BucketOptions { Url = "azure:c" }, Env)("AZURE_ACCOUNT_NAME"));
    }
}
