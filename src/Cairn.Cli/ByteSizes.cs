namespace Cairn.Cli;

/// <summary>Sizes given on the command line, as restic reads them (see <see cref="ByteSize"/>, which config values share).</summary>
internal static class ByteSizes
{
    /// <summary>Parses "1048576", "512k", "100M", "1.5G", "2T"; null for anything else.</summary>
    public static long? TryParse(string text) => ByteSize.TryParse(text);
}
