using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class AccountsTests
{
    [Fact]
    public void Root_is_found_by_id_and_by_name()
    {
        Assert.Equal("root", Accounts.UserName(0));
        Assert.Equal("root", Accounts.GroupName(0));
        Assert.Equal(0u, Accounts.UserId("root"));
        Assert.Equal(0u, Accounts.GroupId("root"));
    }

    [Fact]
    public void Unknown_users_and_groups_are_null()
    {
        Assert.Null(Accounts.UserName(3_999_999_999));
        Assert.Null(Accounts.GroupName(3_999_999_999));
        Assert.Null(Accounts.UserId("no-such-user-cairn"));
        Assert.Null(Accounts.GroupId("no-such-group-cairn"));
    }

    [Fact]
    public void IsRoot_matches_the_effective_user() =>
        Assert.Equal(Environment.UserName == "root", Accounts.IsRoot);
}
