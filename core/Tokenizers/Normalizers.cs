namespace Toolkit.Core.Tokenizers;

/// <summary>A tokenizer.json <c>normalizer</c>: rewrites the text of a section before it is pre-tokenized.</summary>
abstract class Normalizer
{
    public abstract string Normalize(string text);

    const string Supported = "NFC, NFD, Replace, Prepend, Lowercase, Strip, Sequence";

    /// <summary>Builds the normalizer described at <paramref name="node"/>; null for JSON null.</summary>
    public static Normalizer? FromJson(JsonAt node)
    {
        if (node.IsNull) return null;
        var type = node.Type();
        return type switch
        {
            "NFC" => new Delegated(UnicodeNormalizer.Nfc),
            "NFD" => new Delegated(UnicodeNormalizer.Nfd),
            "Lowercase" => new Delegated(t => t.ToLowerInvariant()),
            "Prepend" => new Prepend(node["prepend"].String()),
            "Replace" => new Replace(TextPattern.FromJson(node["pattern"]), node["content"].String()),
            "Strip" => new Strip(node["strip_left"].Bool(true), node["strip_right"].Bool(true)),
            "Sequence" => new Sequence(node["normalizers"].Items().Select(FromJson).OfType<Normalizer>().ToArray()),
            "NFKC" or "NFKD" => throw new TokenizerFormatException(node.File, node.Path + ".type",
                $"normalizer type '{type}' is not supported (compatibility decomposition data is not bundled; only canonical NFC/NFD are)",
                $"this reader supports normalizer types: {Supported}"),
            _ => throw node["type"].Unsupported("normalizer", type, Supported),
        };
    }

    sealed class Delegated(Func<string, string> f) : Normalizer
    {
        public override string Normalize(string text) => f(text);
    }

    sealed class Prepend(string prefix) : Normalizer
    {
        // HF prepends only to non-empty text.
        public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
    }

    sealed class Replace(TextPattern pattern, string content) : Normalizer
    {
        public override string Normalize(string text) => pattern.Replace(text, content);
    }

    sealed class Strip(bool left, bool right) : Normalizer
    {
        public override string Normalize(string text) =>
            left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
    }

    sealed class Sequence(Normalizer[] steps) : Normalizer
    {
        public override string Normalize(string text)
        {
            foreach (var s in steps) text = s.Normalize(text);
            return text;
        }
    }
}

/// <summary>A tokenizer.json <c>pattern</c>: <c>{"String": "..."}</c> (a literal) or <c>{"Regex": "..."}</c> (Oniguruma syntax).</summary>
sealed class TextPattern
{
    readonly string? _literal;
    readonly CodePointRegex? _regex;

    TextPattern(string? literal, CodePointRegex? regex) { _literal = literal; _regex = regex; }

    public static TextPattern FromJson(JsonAt node)
    {
        if (node.Has("String")) return new TextPattern(node["String"].String(), null);
        if (node.Has("Regex")) return new TextPattern(null, new CodePointRegex(HfRegex.Translate(node["Regex"].String(), node["Regex"])));
        throw node.Bad("a pattern must be an object with a \"String\" or a \"Regex\" field");
    }

    public static TextPattern Literal(string s) => new(s, null);

    public string Replace(string text, string content) =>
        _literal != null ? (_literal.Length == 0 ? text : text.Replace(_literal, content, StringComparison.Ordinal))
                         : _regex!.Replace(text, content);

    /// <summary>Appends every non-empty match of the pattern in <paramref name="text"/> as (start, length), in order.</summary>
    public void Matches(string text, List<(int Start, int Length)> output)
    {
        if (_regex != null) { _regex.Matches(text, output); return; }
        if (_literal!.Length == 0) return;
        for (var i = text.IndexOf(_literal, StringComparison.Ordinal); i >= 0; i = text.IndexOf(_literal, i + _literal.Length, StringComparison.Ordinal))
            output.Add((i, _literal.Length));
    }
}
