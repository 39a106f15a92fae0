using System.Globalization;

namespace Toolkit.Core.Checkpoints;

/// <summary>Parses sizes like "2GB", "500MB", "1.5GiB" or "123456" (bytes), as HF's <c>max_shard_size</c> does: KB/MB/GB are powers of 1000, KiB/MiB/GiB powers of 1024.</summary>
public static class ByteSize
{
    public static long Parse(string text)
    {
        var s = text.Trim();
        (string Suffix, long Scale)[] units =
        [
            ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40),
            ("KB", 1000L), ("MB", 1000_000L), ("GB", 1000_000_000L), ("TB", 1000_000_000_000L), ("B", 1L),
        ];
        foreach (var (suffix, scale) in units)
        {
            if (!s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) continue;
            if (double.TryParse(s[..^suffix.Length].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0)
                return checked((long)(v * scale));
            break;
        }
        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) && bytes > 0) return bytes;
        throw new FormatException($"'{text}' is not a size; write a positive number with an optional unit, e.g. \"2GB\", \"500MB\", \"1GiB\" or \"1000000\"");
    }
}
