using Cairn.Platform;

namespace Cairn.Tests.Platform;

public sealed class PathBytesTests
{
    [Theory]
    [InlineData(new byte[] { (byte)'a', 0xff, (byte)'b' }, @"a\xffb")]
    [InlineData(new byte[] { 0xc3, 0x28 }, @"\xc3(")]
    [InlineData(new byte[] { (byte)'a', (byte)'\n', (byte)'b' }, @"a\x0ab")]
    [InlineData(new byte[] { (byte)'a', (byte)'\\', (byte)'b' }, @"a\\b")]
    [InlineData(new byte[] { 0xc3, 0xa9, (byte)'t', 0xc3, 0xa9 }, "été")]
    [InlineData(new byte[] { (byte)'/', (byte)'s', (byte)'r', (byte)'v' }, "/srv")]
    public void ToDisplay_escapes_only_what_is_not_printable_UTF8_and_round_trips(byte[] path, string expected)
    {
        Assert.Equal(expected, PathBytes.ToDisplay(path));
        Assert.Equal(path, PathBytes.FromDisplay(expected));
    }

    [Fact]
    public void FromDisplay_keeps_text_that_only_looks_like_an_escape()
    {
        Assert.Equal("a\\xZZ"u8.ToArray(), PathBytes.FromDisplay(@"a\xZZ"));
        Assert.Equal(@"a\\xZZ", PathBytes.ToDisplay("a\\xZZ"u8));
    }

    [Fact]
    public void Join_adds_exactly_one_separator()
    {
        Assert.Equal("a/b"u8.ToArray(), PathBytes.Join("a"u8, "b"u8));
        Assert.Equal("/b"u8.ToArray(), PathBytes.Join("/"u8, "b"u8));
        Assert.Equal("b"u8.ToArray(), PathBytes.Join(default, "b"u8));
    }

    [Theory]
    [InlineData("a//b/./c/", "a/b/c")]
    [InlineData("//", "/")]
    [InlineData("", ".")]
    [InlineData("./", ".")]
    [InlineData("/x/../y", "/x/../y")]
    public void Normalize_collapses_separators_and_dots(string path, string expected) =>
        Assert.Equal(expected, PathBytes.ToDisplay(PathBytes.Normalize(PathBytes.FromString(path))));

    [Fact]
    public void Absolute_resolves_against_the_current_directory()
    {
        var expected = PathBytes.Join(PathBytes.FromString(Environment.CurrentDirectory), "x/y"u8);
        Assert.Equal(PathBytes.Normalize(expected), PathBytes.Absolute("x//y"u8));
        Assert.Equal("/a/b"u8.ToArray(), PathBytes.Absolute("/a/./b"u8));
    }

    [Fact]
    public void Parent_and_FileName_split_the_last_component()
    {
        Assert.Equal("/a"u8.ToArray(), PathBytes.Parent("/a/b"u8).ToArray());
        Assert.Equal("b"u8.ToArray(), PathBytes.FileName("/a/b"u8).ToArray());
        Assert.Equal("/"u8.ToArray(), PathBytes.Parent("/a"u8).ToArray());
        Assert.Equal("."u8.ToArray(), PathBytes.Parent("a"u8).ToArray());
    }

    [Fact]
    public void DeviceNumber_matches_glibc_makedev()
    {
        Assert.Equal(0x0103UL, DeviceNumber.Make(1, 3));
        var big = DeviceNumber.Make(0x12345, 0x6789ab);
        Assert.Equal(0x12345u, DeviceNumber.Major(big));
        Assert.Equal(0x6789abu, DeviceNumber.Minor(big));
    }
}
