using System.Globalization;
using System.Text;

namespace Toolkit.Core.Templates;

internal enum Tok
{
    Text, Comment, Int, Float, String, Ident,
    OpenStatement, CloseStatement, OpenExpression, CloseExpression,
    OpenParen, CloseParen, OpenBracket, CloseBracket, OpenBrace, CloseBrace,
    Comma, Dot, Colon, Pipe, Equals,
    Additive,        // + - ~
    Multiplicative,  // * / // %
    Power,           // **
    Comparison,      // < > <= >= == !=
    Unary,           // - + not followed by a number
}

internal sealed record Token(Tok Type, string Value, Pos Pos);

/// <summary>
/// Turns preprocessed template text into tokens. Follows @huggingface/jinja's lexer rule for rule (text runs,
/// comments, <c>{%-</c>/<c>-%}</c> stripping, sign folding into number literals) so whitespace comes out the same.
/// </summary>
internal static class Lexer
{
    static readonly (string Seq, Tok Type)[] Table =
    [
        ("{%", Tok.OpenStatement), ("%}", Tok.CloseStatement), ("{{", Tok.OpenExpression), ("}}", Tok.CloseExpression),
        ("(", Tok.OpenParen), (")", Tok.CloseParen), ("{", Tok.OpenBrace), ("}", Tok.CloseBrace),
        ("[", Tok.OpenBracket), ("]", Tok.CloseBracket), (",", Tok.Comma), (".", Tok.Dot), (":", Tok.Colon), ("|", Tok.Pipe),
        ("<=", Tok.Comparison), (">=", Tok.Comparison), ("==", Tok.Comparison), ("!=", Tok.Comparison),
        ("<", Tok.Comparison), (">", Tok.Comparison),
        ("+", Tok.Additive), ("-", Tok.Additive), ("~", Tok.Additive),
        ("**", Tok.Power), ("*", Tok.Multiplicative), ("//", Tok.Multiplicative), ("/", Tok.Multiplicative), ("%", Tok.Multiplicative),
        ("=", Tok.Equals),
    ];

    public static List<Token> Tokenize(TemplateSource source)
    {
        var src = source.Text;
        var tokens = new List<Token>();
        var pos = 0;
        var braceDepth = 0;

        bool At(string s) => string.CompareOrdinal(src, pos, s, 0, s.Length) == 0;
        Tok? Last() => tokens.Count == 0 ? null : tokens[^1].Type;
        TemplateException Error(string msg, int at) => new(msg, source.PosOf(at));

        void StripTrailingWhitespace()
        {
            if (tokens.Count == 0 || tokens[^1].Type != Tok.Text) return;
            var t = tokens[^1];
            var v = t.Value;
            var e = v.Length;
            while (e > 0 && TemplateSource.IsSpace(v[e - 1])) e--;
            if (e == 0) tokens.RemoveAt(tokens.Count - 1);
            else tokens[^1] = t with { Value = v[..e] };
        }
        void SkipLeadingWhitespace()
        {
            while (pos < src.Length && TemplateSource.IsSpace(src[pos])) pos++;
        }

        while (pos < src.Length)
        {
            // 1) text outside tags
            var last = Last();
            if (last is null or Tok.CloseStatement or Tok.CloseExpression or Tok.Comment)
            {
                var start = pos;
                while (pos < src.Length && !(src[pos] == '{' && pos + 1 < src.Length && src[pos + 1] is '%' or '{' or '#'))
                    pos++;
                if (pos > start)
                {
                    tokens.Add(new Token(Tok.Text, src[start..pos], source.PosOf(start)));
                    continue;
                }
            }

            // 2) comments {# ... #}, with {#- and -#}
            if (At("{#"))
            {
                var open = pos;
                pos += 2;
                var stripBefore = pos < src.Length && src[pos] == '-';
                if (stripBefore) pos++;
                var close = src.IndexOf("#}", pos, StringComparison.Ordinal);
                if (close < 0) throw Error("unclosed comment: '{#' without '#}'", open);
                var body = src[pos..close];
                var stripAfter = body.EndsWith('-');
                if (stripBefore) StripTrailingWhitespace();
                tokens.Add(new Token(Tok.Comment, body, source.PosOf(open)));
                pos = close + 2;
                if (stripAfter) SkipLeadingWhitespace();
                continue;
            }

            // 3) opening tags with whitespace control
            if (At("{%-") || At("{{-"))
            {
                StripTrailingWhitespace();
                var stmt = src[pos + 1] == '%';
                tokens.Add(new Token(stmt ? Tok.OpenStatement : Tok.OpenExpression, stmt ? "{%" : "{{", source.PosOf(pos)));
                if (!stmt) braceDepth = 0;
                pos += 3;
                continue;
            }
            if (At("{%+"))
            {
                tokens.Add(new Token(Tok.OpenStatement, "{%", source.PosOf(pos)));
                pos += 3;
                continue;
            }

            // 4) whitespace inside tags is insignificant
            SkipLeadingWhitespace();
            if (pos >= src.Length) break;

            if (At("-%}") || At("-}}"))
            {
                var stmt = src[pos + 1] == '%';
                tokens.Add(new Token(stmt ? Tok.CloseStatement : Tok.CloseExpression, stmt ? "%}" : "}}", source.PosOf(pos)));
                pos += 3;
                SkipLeadingWhitespace();
                continue;
            }
            if (At("+%}"))
            {
                tokens.Add(new Token(Tok.CloseStatement, "%}", source.PosOf(pos)));
                pos += 3;
                continue;
            }

            var c = src[pos];

            // 5) a sign not preceded by an operand is unary, and folds into a following number
            if (c is '-' or '+')
            {
                if (last is null or Tok.Text)
                    throw Error($"unexpected character '{c}'", pos);
                if (last is not (Tok.Ident or Tok.Int or Tok.Float or Tok.String or Tok.CloseParen or Tok.CloseBracket))
                {
                    var at = pos++;
                    var num = ReadDigits(src, ref pos);
                    var isFloat = false;
                    if (num.Length > 0 && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
                    {
                        pos++;
                        num = num + "." + ReadDigits(src, ref pos);
                        isFloat = true;
                    }
                    tokens.Add(num.Length > 0
                        ? new Token(isFloat ? Tok.Float : Tok.Int, c + num, source.PosOf(at))
                        : new Token(Tok.Unary, c.ToString(), source.PosOf(at)));
                    continue;
                }
            }

            // 6) punctuation and operators
            var matched = false;
            foreach (var (seq, type) in Table)
            {
                if (seq == "}}" && braceDepth > 0) continue;
                if (!At(seq)) continue;
                tokens.Add(new Token(type, seq, source.PosOf(pos)));
                if (type == Tok.OpenExpression) braceDepth = 0;
                else if (type == Tok.OpenBrace) braceDepth++;
                else if (type == Tok.CloseBrace) braceDepth--;
                pos += seq.Length;
                matched = true;
                break;
            }
            if (matched) continue;

            // 7) literals and names
            if (c is '\'' or '"')
            {
                var at = pos;
                tokens.Add(new Token(Tok.String, ReadString(src, ref pos, c, () => Error("unterminated string literal", at)), source.PosOf(at)));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var at = pos;
                var num = ReadDigits(src, ref pos);
                var isFloat = false;
                if (last != Tok.Dot && pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
                {
                    pos++;
                    num = num + "." + ReadDigits(src, ref pos);
                    isFloat = true;
                }
                tokens.Add(new Token(isFloat ? Tok.Float : Tok.Int, num, source.PosOf(at)));
                continue;
            }
            if (IsWord(c))
            {
                var at = pos;
                while (pos < src.Length && IsWord(src[pos])) pos++;
                tokens.Add(new Token(Tok.Ident, src[at..pos], source.PosOf(at)));
                continue;
            }
            throw Error($"unexpected character '{c}'", pos);
        }
        return tokens;
    }

    static bool IsWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    static string ReadDigits(string src, ref int pos)
    {
        var start = pos;
        while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
        return src[start..pos];
    }

    static string ReadString(string src, ref int pos, char quote, Func<TemplateException> unterminated)
    {
        pos++; // opening quote
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= src.Length) throw unterminated();
            var c = src[pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (pos >= src.Length) throw unterminated();
            var e = src[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\'': case '"': case '\\': sb.Append(e); break;
                case 'x' or 'u':
                    var len = e == 'x' ? 2 : 4;
                    if (pos + len <= src.Length && int.TryParse(src.AsSpan(pos, len), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        sb.Append((char)code);
                        pos += len;
                    }
                    else sb.Append('\\').Append(e);
                    break;
                // Python keeps unknown escapes as written
                default: sb.Append('\\').Append(e); break;
            }
        }
    }
}
