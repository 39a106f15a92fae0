using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// A .NET regex that matches code points, as Oniguruma and JavaScript's <c>u</c> flag do. .NET regexes see UTF-16 code
/// units, so a character outside the BMP (emoji, CJK Extension B) is two surrogates of category Cs: <c>\p{L}</c> misses
/// 𠀀 and <c>[^\r\n\p{L}\p{N}]?\p{L}+</c> cannot take 😀 as its one optional character. For text holding surrogate pairs
/// the match runs on a shadow string with one character per code point — each supplementary code point stands in as a
/// BMP character of the same general category — and the match offsets are mapped back. Text without surrogates (the
/// common case) is matched directly.
/// </summary>
sealed class CodePointRegex
{
    readonly Regex _regex;

    // One BMP stand-in per general category (index = UnicodeCategory), chosen outside ASCII so pattern literals never match it.
    static readonly char[] StandIn = BuildStandIns();

    public CodePointRegex(string dotnetPattern) =>
        _regex = new Regex(dotnetPattern, RegexOptions.Compiled | RegexOptions.CultureInvariant | RegexOptions.Multiline);

    public string Pattern => _regex.ToString();

    /// <summary>Appends every non-empty match in <paramref name="text"/> as (start, length) in UTF-16 offsets of <paramref name="text"/>.</summary>
    public void Matches(string text, List<(int Start, int Length)> output)
    {
        if (!HasSurrogates(text))
        {
            foreach (var m in _regex.EnumerateMatches(text))
                if (m.Length > 0) output.Add((m.Index, m.Length));
            return;
        }
        var (shadow, offsets) = Shadow(text);
        foreach (var m in _regex.EnumerateMatches(shadow))
        {
            if (m.Length == 0) continue;
            var start = offsets[m.Index];
            output.Add((start, offsets[m.Index + m.Length] - start));
        }
    }

    public string Replace(string text, string content)
    {
        var matches = new List<(int Start, int Length)>();
        Matches(text, matches);
        if (matches.Count == 0) return text;
        var sb = new StringBuilder(text.Length);
        var prev = 0;
        foreach (var (s, l) in matches)
        {
            sb.Append(text, prev, s - prev).Append(content);
            prev = s + l;
        }
        return sb.Append(text, prev, text.Length - prev).ToString();
    }

    static bool HasSurrogates(string text)
    {
        foreach (var c in text)
            if (char.IsSurrogate(c)) return true;
        return false;
    }

    // (shadow string, offsets) where offsets[k] is the UTF-16 offset in text of shadow character k (offsets[^1] = text.Length).
    static (string Shadow, int[] Offsets) Shadow(string text)
    {
        var chars = new char[text.Length];
        var offsets = new int[text.Length + 1];
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            offsets[n] = i;
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                chars[n++] = StandIn[(int)CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1]))];
                i++;
            }
            else chars[n++] = c;
        }
        offsets[n] = text.Length;
        return (new string(chars, 0, n), offsets);
    }

    static char[] BuildStandIns()
    {
        var table = new char[32];
        Array.Fill(table, '\uE000'); // private use (Co) for categories with no BMP member above Latin-1
        var found = new bool[32];
        for (int c = 0x100; c < 0x10000; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            var cat = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
            if (!found[cat]) { found[cat] = true; table[cat] = (char)c; }
        }
        return table;
    }
}
