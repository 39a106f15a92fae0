using System.Globalization;
using System.Text;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// Translates a Hugging Face tokenizer regex (Oniguruma syntax, as the Rust tokenizers crate compiles it) into .NET syntax.
/// What differs and is handled: possessive quantifiers (<c>x++</c>, <c>x*+</c>, <c>x?+</c>, <c>x{n,m}+</c>) become atomic
/// groups; <c>\h</c>/<c>\H</c> (hex digit); <c>\x{HHHH}</c>; long property names (<c>\p{Letter}</c>); <c>^</c>/<c>$</c> are
/// line anchors in Oniguruma (compiled with RegexOptions.Multiline by <see cref="CodePointRegex"/>). <c>\s</c>, <c>\p{L}</c>,
/// <c>\p{N}</c>, lookarounds and <c>(?i:...)</c> mean the same in both. Supplementary-plane characters are handled by
/// <see cref="CodePointRegex"/>. Refused with an error naming the file and JSON path: script properties (<c>\p{Han}</c>),
/// class intersections (<c>&amp;&amp;</c>), nested classes, POSIX brackets.
/// </summary>
static class HfRegex
{
    static readonly Dictionary<string, string> LongNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Letter"] = "L", ["Number"] = "N", ["Punctuation"] = "P", ["Symbol"] = "S", ["Mark"] = "M", ["Separator"] = "Z",
        ["Other"] = "C", ["Uppercase_Letter"] = "Lu", ["Lowercase_Letter"] = "Ll", ["Decimal_Number"] = "Nd",
    };

    static readonly HashSet<string> Categories =
    [
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe", "Pi",
        "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn",
    ];

    public static string Translate(string pattern, JsonAt where)
    {
        var o = new StringBuilder(pattern.Length + 16);
        var groupStarts = new Stack<int>();
        var atomStart = -1; // where the last complete atom begins in o
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '\\':
                    atomStart = o.Length;
                    i = Escape(pattern, i, o, inClass: false, where);
                    continue;
                case '[':
                    atomStart = o.Length;
                    i = Class(pattern, i, o, where);
                    continue;
                case '(':
                    groupStarts.Push(o.Length);
                    o.Append(c);
                    i++;
                    if (i < pattern.Length && pattern[i] == '?')
                    {
                        // copy the group prefix (?:, (?=, (?!, (?<=, (?<!, (?>, (?i:, (?<name>
                        var j = i + 1;
                        while (j < pattern.Length && pattern[j] is not (':' or ')' or '=' or '!' or '>')) j++;
                        if (j < pattern.Length) j++;
                        o.Append(pattern, i, j - i);
                        i = j;
                    }
                    atomStart = -1;
                    continue;
                case ')':
                    o.Append(c);
                    i++;
                    atomStart = groupStarts.Count > 0 ? groupStarts.Pop() : throw Fail(where, pattern, i - 1, "unbalanced ')'");
                    continue;
                case '*' or '+' or '?' or '{':
                {
                    var q = i;
                    if (c == '{')
                    {
                        var close = pattern.IndexOf('}', i);
                        if (close < 0) { o.Append(c); i++; atomStart = o.Length - 1; continue; }
                        i = close + 1;
                    }
                    else i++;
                    var quantifier = pattern[q..i];
                    if (i < pattern.Length && pattern[i] == '+')
                    {
                        // possessive: x*+ == (?>x*)
                        if (atomStart < 0) throw Fail(where, pattern, q, "a possessive quantifier with nothing before it");
                        o.Insert(atomStart, "(?>");
                        o.Append(quantifier).Append(')');
                        i++;
                    }
                    else
                    {
                        o.Append(quantifier);
                        if (i < pattern.Length && pattern[i] == '?') { o.Append('?'); i++; }
                    }
                    atomStart = -1;
                    continue;
                }
                default:
                    atomStart = o.Length;
                    if (char.IsSurrogate(c)) throw Fail(where, pattern, i, "a literal character outside the Basic Multilingual Plane");
                    o.Append(c);
                    i++;
                    continue;
            }
        }
        return o.ToString();
    }

    static int Escape(string p, int i, StringBuilder o, bool inClass, JsonAt where)
    {
        if (i + 1 >= p.Length) throw Fail(where, p, i, "a trailing backslash");
        var n = p[i + 1];
        switch (n)
        {
            case 'p' or 'P':
            {
                string name;
                int end;
                if (i + 2 < p.Length && p[i + 2] == '{')
                {
                    var close = p.IndexOf('}', i + 3);
                    if (close < 0) throw Fail(where, p, i, "an unterminated \\p{...}");
                    name = p[(i + 3)..close];
                    end = close + 1;
                }
                else { name = p.Substring(i + 2, 1); end = i + 3; }
                var negate = name.StartsWith('^');
                if (negate) name = name[1..];
                if (LongNames.TryGetValue(name, out var shortName)) name = shortName;
                if (!Categories.Contains(name))
                    throw Fail(where, p, i, $"the Unicode property '\\{n}{{{name}}}' (only general categories such as L, N, Lu, Nd, P, S, Z are supported)");
                o.Append('\\').Append(negate ^ (n == 'P') ? 'P' : 'p').Append('{').Append(name).Append('}');
                return end;
            }
            case 'h' or 'H':
                o.Append(inClass ? (n == 'h' ? "0-9A-Fa-f" : throw Fail(where, p, i, "\\H inside a character class"))
                                 : (n == 'h' ? "[0-9A-Fa-f]" : "[^0-9A-Fa-f]"));
                return i + 2;
            case 'x' when i + 2 < p.Length && p[i + 2] == '{':
            {
                var close = p.IndexOf('}', i + 3);
                if (close < 0) throw Fail(where, p, i, "an unterminated \\x{...}");
                var cp = int.Parse(p[(i + 3)..close], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (cp > 0xFFFF) throw Fail(where, p, i, "a code point outside the Basic Multilingual Plane");
                o.Append("\\u").Append(cp.ToString("X4", CultureInfo.InvariantCulture));
                return close + 1;
            }
            default:
                o.Append('\\').Append(n);
                return i + 2;
        }
    }

    static int Class(string p, int i, StringBuilder o, JsonAt where)
    {
        o.Append('[');
        i++;
        if (i < p.Length && p[i] == '^') { o.Append('^'); i++; }
        if (i < p.Length && p[i] == ']') { o.Append("\\]"); i++; }
        while (i < p.Length)
        {
            var c = p[i];
            if (c == ']') { o.Append(']'); return i + 1; }
            if (c == '\\') { i = Escape(p, i, o, inClass: true, where); continue; }
            if (c == '[') throw Fail(where, p, i, "a nested character class or POSIX bracket");
            if (c == '&' && i + 1 < p.Length && p[i + 1] == '&') throw Fail(where, p, i, "a character-class intersection (&&)");
            if (char.IsSurrogate(c)) throw Fail(where, p, i, "a literal character outside the Basic Multilingual Plane");
            o.Append(c);
            i++;
        }
        throw Fail(where, p, i, "an unterminated character class");
    }

    static TokenizerFormatException Fail(JsonAt where, string pattern, int index, string what) =>
        new(where.File, where.Path, $"the regex /{pattern}/ uses {what} at index {index}, which this reader cannot translate to .NET",
            "use a tokenizer whose split pattern sticks to general categories (\\p{L}, \\p{N}, ...), classes, groups, lookarounds and (possessive) quantifiers");
}
