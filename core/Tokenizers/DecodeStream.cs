namespace Toolkit.Core.Tokenizers;

/// <summary>
/// Incremental decoding for generation: <see cref="Step"/> takes one id and returns the text it completes — never half
/// a character. A byte-level token or a &lt;0xNN&gt; byte-fallback token can hold part of a UTF-8 sequence; such text is
/// held back until the ids that complete it arrive. Method (as the Rust crate's DecodeStream): decode a short window of
/// recent ids, and emit what extends the previous window's text once it no longer ends in U+FFFD; the window keeps one
/// earlier token as context so decoders that treat the first token specially (Metaspace, Strip) behave as in a full decode.
/// Concatenating every Step and the final <see cref="Flush"/> gives <c>Decode(ids, cleanUpTokenizationSpaces: false)</c>.
/// Not thread-safe: one stream per sequence.
/// </summary>
public sealed class DecodeStream
{
    readonly Tokenizer _tokenizer;
    readonly bool _skipSpecial;
    readonly List<int> _ids = [];   // the window: one id of context (already returned) + the ids not yet returned
    string _prefix = "";             // the decode of the context id alone

    internal DecodeStream(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecial = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the newly completed text ("" while the id only starts a character, or decodes to nothing).</summary>
    public string Step(int id)
    {
        _ids.Add(id);
        var text = Decode();
        if (text.Length <= _prefix.Length || text.EndsWith('\uFFFD')) return "";
        if (!text.StartsWith(_prefix, StringComparison.Ordinal))
            throw new InvalidOperationException(
                $"streaming decode of '{_tokenizer.SourcePath}' changed text it had already returned ('{_prefix}' became '{text}'); this decoder chain cannot be streamed");
        var newText = text[_prefix.Length..];
        _ids.RemoveRange(0, _ids.Count - 1);
        _prefix = Decode();
        return newText;
    }

    /// <summary>Returns any text still held back (at the end of generation); it ends in U+FFFD only if the ids ended mid-character.</summary>
    public string Flush()
    {
        var text = Decode();
        var rest = text.Length > _prefix.Length && text.StartsWith(_prefix, StringComparison.Ordinal) ? text[_prefix.Length..] : "";
        _ids.Clear();
        _prefix = "";
        return rest;
    }

    string Decode() => _ids.Count == 0 ? "" : _tokenizer.Decode(_ids, _skipSpecial, cleanUpTokenizationSpaces: false);
}
