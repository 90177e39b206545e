using Cairn.Storage.Rest;

namespace Cairn.Tests.Storage.Rest;

/// <summary>Parsing rest: locations: credentials come out of the URL and never show in the location or messages.</summary>
public sealed class RestEndpointTests
{
    [Theory]
    [InlineData("rest:http://host:8000/repo", "http://host:8000/repo/")]
    [InlineData("rest:http://host:8000/repo/", "http://host:8000/repo/")]
    [InlineData("rest:https://host/a/b", "https://host/a/b/")]
    [InlineData("rest:http://host:8000", "http://host:8000/")]
    [InlineData("http://[::1]:8000/r", "http://[::1]:8000/r/")]
    public void The_base_url_always_ends_in_a_slash(string location, string expected)
    {
        var endpoint = RestEndpoint.Parse(location);

        Assert.Equal(expected, endpoint.BaseUri.AbsoluteUri);
        Assert.Equal("rest:" + expected, endpoint.Location);
        Assert.Null(endpoint.Credentials);
    }

    [Fact]
    public void Credentials_in_the_url_are_decoded_and_removed_from_the_location()
    {
        var endpoint = RestEndpoint.Parse("rest:https://backup:p%40ss%3Aw0rd@host:8000/repo");

        Assert.Equal(new RestCredentials("backup", "p@ss:w0rd"), endpoint.Credentials);
        Assert.Equal("rest:https://host:8000/repo/", endpoint.Location);
        Assert.DoesNotContain("w0rd", endpoint.ToString());
        Assert.Equal("backup:***", endpoint.Credentials!.ToString());
    }

    [Fact]
    public void The_url_wins_over_the_environment_and_the_environment_fills_what_it_lacks()
    {
        var fromEnvironment = new RestCredentials("envuser", "envpass");

        Assert.Equal(new RestCredentials("u", "p"), RestEndpoint.Parse("rest:http://u:p@h/r", fromEnvironment).Credentials);
        Assert.Equal(new RestCredentials("u", "envpass"), RestEndpoint.Parse("rest:http://u@h/r", fromEnvironment).Credentials);
        Assert.Equal(fromEnvironment, RestEndpoint.Parse("rest:http://h/r", fromEnvironment).Credentials);
    }

    [Theory]
    [InlineData("rest:ftp://host/repo")]
    [InlineData("rest:host:8000/repo")]
    [InlineData("rest:/srv/repo")]
    [InlineData("rest:http://u:secret@host/repo?x=1")]
    public void Other_strings_are_refused_without_echoing_a_password(string location)
    {
        var e = Assert.Throws<ArgumentException>(() => RestEndpoint.Parse(location));

        Assert.DoesNotContain("secret", e.Message);
    }

    [Theory]
    [InlineData("rest:http://u:secret@host/repo", "rest:http://host/repo")]
    [InlineData("cairn -r rest:https://u:sec@ret@host:1/r snapshots", "cairn -r rest:https://host:1/r snapshots")]
    [InlineData("rest:http://host/a@b", "rest:http://host/a@b")]
    [InlineData("/srv/backup", "/srv/backup")]
    [InlineData("sftp:user@host:/srv", "sftp:user@host:/srv")]
    public void Redact_removes_user_and_password_from_urls_only(string text, string expected)
    {
        Assert.Equal(expected, RestEndpoint.Redact(text));
    }
}
