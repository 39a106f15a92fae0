using System.Text;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// A tokenizer.json <c>pre_tokenizer</c>: cuts a normalized section into pieces ("words"); the model encodes each piece
/// on its own. Semantics follow the Rust tokenizers crate.
/// </summary>
abstract class PreTokenizer
{
    /// <summary>Appends the pieces of <paramref name="piece"/> to <paramref name="output"/>; <paramref name="firstSection"/>
    /// is true for the text before any added token (Metaspace's prepend_scheme "first" uses it).</summary>
    public abstract void Split(string piece, bool firstSection, List<string> output);

    const string Supported = "Sequence, Split, ByteLevel, Metaspace, Digits";

    public static PreTokenizer? FromJson(JsonAt node)
    {
        if (node.IsNull) return null;
        var type = node.Type();
        return type switch
        {
            "Sequence" => new Sequence(node["pretokenizers"].Items().Select(FromJson).OfType<PreTokenizer>().ToArray()),
            "Split" => new SplitPattern(TextPattern.FromJson(node["pattern"]), SplitBehaviors.Parse(node["behavior"]), node["invert"].Bool(false)),
            "ByteLevel" => new ByteLevel(node["add_prefix_space"].Bool(true), node["use_regex"].Bool(true)),
            "Metaspace" => Metaspace.Parse(node),
            "Digits" => new Digits(node["individual_digits"].Bool(false)),
            _ => throw node["type"].Unsupported("pre_tokenizer", type, Supported),
        };
    }

    sealed class Sequence(PreTokenizer[] steps) : PreTokenizer
    {
        public override void Split(string piece, bool firstSection, List<string> output)
        {
            List<string> current = [piece];
            foreach (var step in steps)
            {
                var next = new List<string>(current.Count * 2);
                foreach (var p in current) step.Split(p, firstSection, next);
                current = next;
            }
            output.AddRange(current);
        }
    }

    sealed class SplitPattern(TextPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
    {
        [ThreadStatic] static List<(int Start, int Length)>? t_matches;

        public override void Split(string piece, bool firstSection, List<string> output)
        {
            var matches = t_matches ??= [];
            matches.Clear();
            pattern.Matches(piece, matches);
            SplitBehaviors.Apply(piece, matches, behavior, invert, output);
        }
    }

    /// <summary>GPT-2's byte-level step: optionally a space in front, optionally GPT-2's own split, then bytes → alphabet characters.</summary>
    internal sealed class ByteLevel(bool addPrefixSpace, bool useRegex) : PreTokenizer
    {
        internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
        static readonly CodePointRegex Gpt2 = new(Gpt2Pattern);

        [ThreadStatic] static List<(int Start, int Length)>? t_matches;

        public override void Split(string piece, bool firstSection, List<string> output)
        {
            if (addPrefixSpace && !piece.StartsWith(' ')) piece = " " + piece;
            if (!useRegex) { output.Add(ToAlphabet(piece)); return; }
            var matches = t_matches ??= [];
            matches.Clear();
            Gpt2.Matches(piece, matches);
            foreach (var (s, l) in matches) output.Add(ToAlphabet(piece.AsSpan(s, l)));
        }

        /// <summary>The UTF-8 bytes of <paramref name="text"/>, each written as its alphabet character.</summary>
        public static string ToAlphabet(ReadOnlySpan<char> text)
        {
            var max = Encoding.UTF8.GetMaxByteCount(text.Length);
            var bytes = max <= 1024 ? stackalloc byte[max] : new byte[max];
            var n = Encoding.UTF8.GetBytes(text, bytes);
            var chars = n <= 1024 ? stackalloc char[n] : new char[n];
            var map = ByteLevelAlphabet.ByteToChar;
            for (var i = 0; i < n; i++) chars[i] = map[bytes[i]];
            return new string(chars);
        }
    }

    sealed class Metaspace(char replacement, string prependScheme, bool split) : PreTokenizer
    {
        public static Metaspace Parse(JsonAt node)
        {
            var rep = node.Has("replacement") ? node["replacement"].String() : "\u2581";
            if (rep.Length != 1) throw node["replacement"].Bad("the Metaspace replacement must be one character");
            // older files carry add_prefix_space instead of prepend_scheme
            var scheme = node.Has("prepend_scheme") ? node["prepend_scheme"].String()
                : node["add_prefix_space"].Bool(true) ? "always" : "never";
            if (scheme is not ("always" or "first" or "never"))
                throw node["prepend_scheme"].Bad($"prepend_scheme '{scheme}' is not one of always, first, never");
            return new Metaspace(rep[0], scheme, node["split"].Bool(true));
        }

        public override void Split(string piece, bool firstSection, List<string> output)
        {
            var s = piece.Replace(' ', replacement);
            if (!s.StartsWith(replacement) && (prependScheme == "always" || prependScheme == "first" && firstSection))
                s = replacement + s;
            if (!split) { output.Add(s); return; }
            // split before every replacement character (MergedWithNext)
            var start = 0;
            for (var i = 1; i < s.Length; i++)
                if (s[i] == replacement) { output.Add(s[start..i]); start = i; }
            if (s.Length > start) output.Add(s[start..]);
        }
    }

    sealed class Digits(bool individual) : PreTokenizer
    {
        public override void Split(string piece, bool firstSection, List<string> output)
        {
            var start = 0;
            for (var i = 1; i <= piece.Length; i++)
            {
                if (i < piece.Length)
                {
                    bool a = char.IsNumber(piece[i - 1]), b = char.IsNumber(piece[i]);
                    if (a == b && !(a && individual)) continue;
                }
                output.Add(piece[start..i]);
                start = i;
            }
        }
    }
}

/// <summary>What a Split pre-tokenizer does with the pattern's matches (HF's SplitDelimiterBehavior).</summary>
enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

static class SplitBehaviors
{
    public static SplitBehavior Parse(JsonAt node)
    {
        var s = node.String();
        return Enum.TryParse<SplitBehavior>(s, ignoreCase: false, out var b) ? b
            : throw node.Bad($"split behavior '{s}' is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
    }

    /// <summary>Cuts <paramref name="text"/> at the matches as the Rust crate's <c>NormalizedString::split</c> does; empty pieces are dropped.</summary>
    public static void Apply(string text, List<(int Start, int Length)> matches, SplitBehavior behavior, bool invert, List<string> output)
    {
        // segments covering the text: (start, end, isMatch)
        var segs = new List<(int Start, int End, bool Match)>(matches.Count * 2 + 1);
        var prev = 0;
        foreach (var (s, l) in matches)
        {
            if (s > prev) segs.Add((prev, s, invert));
            segs.Add((s, s + l, !invert));
            prev = s + l;
        }
        if (prev < text.Length) segs.Add((prev, text.Length, invert));

        var parts = new List<(int Start, int End, bool Match)>(segs.Count);
        switch (behavior)
        {
            case SplitBehavior.Removed:
                parts.AddRange(segs.Where(x => !x.Match));
                break;
            case SplitBehavior.Isolated:
                parts.AddRange(segs);
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                var previousMatch = false;
                foreach (var x in segs)
                {
                    if (x.Match && !previousMatch && parts.Count > 0) parts[^1] = (parts[^1].Start, x.End, false);
                    else parts.Add(x);
                    previousMatch = x.Match;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                var previousMatch = false;
                for (var k = segs.Count - 1; k >= 0; k--)
                {
                    var x = segs[k];
                    if (x.Match && !previousMatch && parts.Count > 0) parts[^1] = (x.Start, parts[^1].End, false);
                    else parts.Add(x);
                    previousMatch = x.Match;
                }
                parts.Reverse();
                break;
            }
            case SplitBehavior.Contiguous:
            {
                var previousMatch = false;
                foreach (var x in segs)
                {
                    if (x.Match == previousMatch && parts.Count > 0) parts[^1] = (parts[^1].Start, x.End, false);
                    else parts.Add(x);
                    previousMatch = x.Match;
                }
                break;
            }
        }
        foreach (var (s, e, _) in parts)
            if (e > s) output.Add(s == 0 && e == text.Length ? text : text[s..e]);
    }
}
