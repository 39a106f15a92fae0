using System.Text;

namespace Toolkit.Core.Templates;

/// <summary>
/// The template text after HF's whitespace preprocessing, with a map back to the original source for error positions.
/// Mirrors transformers' Jinja environment (trim_blocks=True, lstrip_blocks=True, no kept trailing newline) and
/// its <c>{% generation %}</c> / <c>{% endgeneration %}</c> tags, which mark assistant text and render their body:
/// the tags are removed here, honoring <c>{%-</c> / <c>-%}</c> on them.
/// </summary>
internal sealed class TemplateSource
{
    public string Text { get; }
    readonly int[] origin;          // (Text.Length + 1) original index of each preprocessed char
    readonly int[] lineStarts;      // original index where each line begins

    TemplateSource(string text, int[] origin, int[] lineStarts)
    {
        Text = text;
        this.origin = origin;
        this.lineStarts = lineStarts;
    }

    /// <summary>The line:column in the original source of preprocessed index <paramref name="index"/>.</summary>
    public Pos PosOf(int index)
    {
        var o = origin[Math.Clamp(index, 0, origin.Length - 1)];
        var line = Array.BinarySearch(lineStarts, o);
        if (line < 0) line = ~line - 1;
        return new Pos(line + 1, o - lineStarts[line] + 1);
    }

    public static TemplateSource Preprocess(string source)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < source.Length; i++)
            if (source[i] == '\n') starts.Add(i + 1);

        // 1) a single trailing newline is dropped
        var n = source.EndsWith('\n') ? source.Length - 1 : source.Length;
        var chars = new List<(char C, int O)>(n);
        for (var i = 0; i < n; i++) chars.Add((source[i], i));

        chars = LstripBlocks(chars);
        chars = TrimBlocks(chars);
        chars = RemoveGenerationTags(chars);

        var sb = new StringBuilder(chars.Count);
        var map = new int[chars.Count + 1];
        for (var i = 0; i < chars.Count; i++) { sb.Append(chars[i].C); map[i] = chars[i].O; }
        map[chars.Count] = n;
        return new TemplateSource(sb.ToString(), map, [.. starts]);
    }

    // 2) lstrip_blocks: spaces and tabs between a line start and a block or comment tag are removed ({%+ opts out)
    static List<(char C, int O)> LstripBlocks(List<(char C, int O)> s)
    {
        var r = new List<(char C, int O)>(s.Count);
        var i = 0;
        while (i < s.Count)
        {
            if (i == 0 || s[i - 1].C == '\n')
            {
                var j = i;
                while (j < s.Count && (s[j].C == ' ' || s[j].C == '\t')) j++;
                if (j + 1 < s.Count && s[j].C == '{' && s[j + 1].C is '#' or '%' or '-'
                    && !(j + 2 < s.Count && s[j + 2].C == '+'))
                    i = j;
            }
            if (i < s.Count) r.Add(s[i++]);
        }
        return r;
    }

    // 3) trim_blocks: the first newline after a block or comment tag is removed (+%} opts out)
    static List<(char C, int O)> TrimBlocks(List<(char C, int O)> s)
    {
        var r = new List<(char C, int O)>(s.Count);
        for (var i = 0; i < s.Count; i++)
        {
            r.Add(s[i]);
            if (s[i].C is '#' or '%' or '-' && i + 2 < s.Count && s[i + 1].C == '}' && s[i + 2].C == '\n'
                && !(s[i].C == '%' && i > 0 && s[i - 1].C == '+'))
            {
                r.Add(s[i + 1]);
                i += 2;
            }
        }
        return r;
    }

    // 4) {% generation %} and {% endgeneration %} disappear; a '-' on either side strips the whitespace on that side
    static List<(char C, int O)> RemoveGenerationTags(List<(char C, int O)> s)
    {
        var r = new List<(char C, int O)>(s.Count);
        var i = 0;
        while (i < s.Count)
        {
            if (MatchGeneration(s, i, out var end, out var lstrip, out var rstrip))
            {
                if (lstrip)
                    while (r.Count > 0 && IsSpace(r[^1].C)) r.RemoveAt(r.Count - 1);
                i = end;
                if (rstrip)
                    while (i < s.Count && IsSpace(s[i].C)) i++;
                continue;
            }
            r.Add(s[i++]);
        }
        return r;
    }

    static bool MatchGeneration(List<(char C, int O)> s, int i, out int end, out bool lstrip, out bool rstrip)
    {
        end = i; lstrip = rstrip = false;
        bool At(int k, string w)
        {
            if (k + w.Length > s.Count) return false;
            for (var q = 0; q < w.Length; q++) if (s[k + q].C != w[q]) return false;
            return true;
        }
        if (!At(i, "{%")) return false;
        var j = i + 2;
        if (j < s.Count && s[j].C == '-') { lstrip = true; j++; }
        while (j < s.Count && IsSpace(s[j].C)) j++;
        if (At(j, "end")) j += 3;
        if (!At(j, "generation")) return false;
        j += "generation".Length;
        while (j < s.Count && IsSpace(s[j].C)) j++;
        if (j < s.Count && s[j].C == '-') { rstrip = true; j++; }
        if (!At(j, "%}")) return false;
        end = j + 2;
        return true;
    }

    /// <summary>JavaScript's whitespace set (what @huggingface/jinja trims), used for every trim in the engine.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' or '\u00a0' or '\u1680'
        or (>= '\u2000' and <= '\u200a') or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000' or '\ufeff';
}
