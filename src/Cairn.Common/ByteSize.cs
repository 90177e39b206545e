using System.Globalization;

namespace Cairn;

/// <summary>Sizes as people write them, in restic's way: a number with an optional binary unit.</summary>
public static class ByteSize
{
    /// <summary>
    /// Parses "1048576", "512k", "100M", "1.5G", "2T" (also "KiB"/"MB" spellings; every unit is a power of 1024).
    /// Returns null for anything else.
    /// </summary>
    public static long? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        int unitStart = s.Length;
        while (unitStart > 0 && char.IsAsciiLetter(s[unitStart - 1])) unitStart--;
        var unit = s[unitStart..].ToLowerInvariant();
        long multiplier = unit switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            "t" or "tb" or "tib" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0 || !double.TryParse(s[..unitStart], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return null;
        double bytes = value * multiplier;
        return bytes < long.MaxValue ? (long)bytes : null;
    }
}
