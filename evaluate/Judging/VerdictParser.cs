using System.Globalization;
using System.Text.RegularExpressions;

namespace Toolkit.Evaluate.Judging;

/// <summary>
/// Reads verdicts out of judge replies. Unlike FastChat (<c>common.py</c>: the FIRST of "[[A]]", "[[B]]", "[[C]]"
/// found by fixed-order substring checks, so a judge that quotes the instructions always gives A), this takes the
/// LAST label in the reply, as Arena-Hard v2 does (<c>get_score</c>: <c>matches[-1]</c>). Full-width brackets
/// (［［A］］, 【【A】】) that Chinese replies use count the same. Ratings: the last "[[x]]" number, else the last
/// "[x]" number (FastChat's backup pattern); a rating outside 1..10 is an error (FastChat did not range-check).
/// </summary>
public static partial class VerdictParser
{
    [GeneratedRegex(@"(?:\[\[|［［|【【)\s*(A|B|C|TIE)\s*(?:\]\]|］］|】】)", RegexOptions.IgnoreCase)]
    private static partial Regex PairLabel();

    [GeneratedRegex(@"(?:\[\[|［［|【【)\s*(\d+(?:\.\d+)?)\s*(?:\]\]|］］|】】)")]
    private static partial Regex Rating();

    [GeneratedRegex(@"(?<!\[)(?:\[|［|【)\s*(\d+(?:\.\d+)?)\s*(?:\]|］|】)(?!\])")]
    private static partial Regex RatingBackup();

    /// <summary>The last pairwise label in <paramref name="reply"/>: A, B, Tie ([[C]] or [[tie]]), or Error when there is none.</summary>
    public static Verdict Pairwise(string reply)
    {
        var m = PairLabel().Matches(reply);
        if (m.Count == 0) return Verdict.Error;
        return m[^1].Groups[1].Value.ToUpperInvariant() switch { "A" => Verdict.A, "B" => Verdict.B, _ => Verdict.Tie };
    }

    /// <summary>The last rating in <paramref name="reply"/> (1..10), or −1 when there is none or it is out of range.</summary>
    public static double Single(string reply)
    {
        var m = Rating().Matches(reply);
        if (m.Count == 0) m = RatingBackup().Matches(reply);
        if (m.Count == 0) return -1;
        var x = double.Parse(m[^1].Groups[1].Value, CultureInfo.InvariantCulture);
        return x is >= 1 and <= 10 ? x : -1;
    }
}
