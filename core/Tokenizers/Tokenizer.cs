using System.Text.Json;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// A Hugging Face tokenizer read from <c>tokenizer.json</c> (+ <c>tokenizer_config.json</c> for bos/eos/pad/unk):
/// BPE models, byte-level (GPT-2, Qwen2/3, Llama-3) and SentencePiece-style with byte fallback (Llama-2, Mistral, Gemma).
/// Encoding runs: added tokens cut out → normalizer → pre-tokenizer → BPE per piece (cached) → post-processor (BOS etc.).
/// Decoding runs the file's decoder chain; byte-level BPE decoding is exact (the inverse of encoding), so the config's
/// <c>clean_up_tokenization_spaces</c> applies only to the other decoders (see <see cref="CleansUpSpaces"/>). Behaviour follows the
/// Rust tokenizers crate and @huggingface/transformers (which the tests compare against, id for id).
/// Thread-safe: one instance may encode and decode from many threads.
/// </summary>
public sealed class Tokenizer
{
    readonly Normalizer? _normalizer;
    readonly PreTokenizer? _preTokenizer;
    readonly BpeModel _model;
    readonly PostProcessor? _postProcessor;
    readonly Decoder? _decoder;
    readonly AddedTokenSplitter _rawSplitter, _normalizedSplitter;
    readonly string?[] _idToToken;
    readonly HashSet<int> _specialIds = [];
    readonly HashSet<string> _addedContents = new(StringComparer.Ordinal);
    readonly bool _cleanUpSpaces;

    /// <summary>The tokenizer.json this was read from.</summary>
    public string SourcePath { get; }

    /// <summary>Every entry of <c>added_tokens</c>, in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>One more than the largest id (vocabulary and added tokens): the embedding rows a model needs at least.</summary>
    public int VocabSize => _idToToken.Length;

    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? PadToken { get; }
    public string? UnkToken { get; }
    public int? BosId => Id(BosToken);
    public int? EosId => Id(EosToken);
    public int? PadId => Id(PadToken);
    public int? UnkId => Id(UnkToken);

    /// <summary>tokenizer_config.json's <c>model_max_length</c> (null when absent or absurdly large, as Llama-3's 1e30).</summary>
    public long? ModelMaxLength { get; }

    /// <summary>tokenizer_config.json's <c>chat_template</c> (the "default" one when it is a list), or null.</summary>
    public string? ChatTemplate { get; }

    Tokenizer(string path, JsonAt root, JsonAt? config)
    {
        SourcePath = path;
        var added = root["added_tokens"].IsNull ? [] : root["added_tokens"].Items().Select(AddedToken.FromJson).ToList();
        AddedTokens = added;
        _normalizer = Normalizer.FromJson(root["normalizer"]);
        _preTokenizer = PreTokenizer.FromJson(root["pre_tokenizer"]);
        _model = new BpeModel(root["model"], added);
        _postProcessor = PostProcessor.FromJson(root["post_processor"]);
        _decoder = Decoder.FromJson(root["decoder"]);
        // as the reference implementations: normalized added tokens are matched after normalization (when there is a normalizer)
        _rawSplitter = new AddedTokenSplitter(added.Where(a => !(a.Normalized && _normalizer != null)));
        _normalizedSplitter = new AddedTokenSplitter(added.Where(a => a.Normalized && _normalizer != null)
            .Select(a => a with { Content = _normalizer!.Normalize(a.Content) }).Where(a => a.Content.Length > 0));

        var max = _model.Vocab.Values.DefaultIfEmpty(-1).Max();
        _idToToken = new string?[max + 1];
        foreach (var (token, id) in _model.Vocab) _idToToken[id] ??= token;
        foreach (var a in added)
        {
            _idToToken[a.Id] = a.Content;
            _addedContents.Add(a.Content);
            if (a.Special) _specialIds.Add(a.Id);
        }

        if (config is { } c)
        {
            BosToken = SpecialFromConfig(c["bos_token"]);
            EosToken = SpecialFromConfig(c["eos_token"]);
            PadToken = SpecialFromConfig(c["pad_token"]);
            UnkToken = SpecialFromConfig(c["unk_token"]);
            if (c["additional_special_tokens"].Kind == JsonValueKind.Array)
                foreach (var t in c["additional_special_tokens"].Items())
                    if (SpecialFromConfig(t) is { } s && Id(s) is { } id) _specialIds.Add(id);
            _cleanUpSpaces = c["clean_up_tokenization_spaces"].Bool(true);
            if (c["model_max_length"].Kind == JsonValueKind.Number && c["model_max_length"].Element.TryGetInt64(out var m) && m < (1L << 40))
                ModelMaxLength = m;
            ChatTemplate = c["chat_template"].Kind switch
            {
                JsonValueKind.String => c["chat_template"].String(),
                JsonValueKind.Array => c["chat_template"].Items().FirstOrDefault(x => x["name"].StringOrNull() == "default")["template"].StringOrNull(),
                _ => null,
            };
        }
    }

    static string? SpecialFromConfig(JsonAt node) => node.Kind switch
    {
        JsonValueKind.String => node.String(),
        JsonValueKind.Object => node["content"].String(),
        _ => null,
    };

    int? Id(string? token) => token == null ? null : TokenToId(token);

    /// <summary>Reads <c>tokenizer.json</c> and, when present, <c>tokenizer_config.json</c> from a model folder.</summary>
    public static Tokenizer FromFolder(string folder)
    {
        var json = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(json))
            throw new FileNotFoundException(
                $"'{folder}' has no tokenizer.json. HINT: pass a Hugging Face model folder (one holding tokenizer.json and tokenizer_config.json); " +
                "models that ship only tokenizer.model (SentencePiece) must be converted first, e.g. with transformers' AutoTokenizer(...).save_pretrained(folder)", json);
        var config = Path.Combine(folder, "tokenizer_config.json");
        return FromFile(json, File.Exists(config) ? config : null);
    }

    /// <summary>Reads a tokenizer.json file, with an optional tokenizer_config.json for the special tokens.</summary>
    public static Tokenizer FromFile(string tokenizerJsonPath, string? configPath = null)
    {
        using var doc = Parse(tokenizerJsonPath);
        using var cfg = configPath == null ? null : Parse(configPath);
        var root = new JsonAt(doc.RootElement, tokenizerJsonPath, "$");
        root.Expect(JsonValueKind.Object);
        try
        {
            return new Tokenizer(tokenizerJsonPath, root, cfg == null ? null : new JsonAt(cfg.RootElement, configPath!, "$"));
        }
        catch (InvalidOperationException e) when (e.InnerException is System.Text.DecoderFallbackException || e.Message.Contains("UTF-16", StringComparison.Ordinal))
        {
            // a \u escape of an unpaired surrogate: System.Text.Json refuses to decode the string
            throw new TokenizerFormatException(tokenizerJsonPath, "$", $"a string in the file is not valid Unicode ({e.Message})",
                "re-download the file; it holds an unpaired surrogate escape such as \\ud800", e);
        }
    }

    static JsonDocument Parse(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
                throw new TokenizerFormatException(path, "$", "the file is not valid UTF-8", "re-download the file; a corrupted download is the usual cause");
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, "$", $"the file is not valid JSON ({e.Message})",
                "re-download the file; a truncated download is the usual cause", e);
        }
    }

    /// <summary>Text → ids. <paramref name="addSpecialTokens"/> runs the post-processor's template (e.g. a leading &lt;bos&gt;).
    /// Added tokens written in the text (&lt;|im_start|&gt;) become their ids.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        var sections = new List<(string Text, AddedToken? Token)>();
        if (_rawSplitter.IsEmpty) sections.Add((text, null));
        else _rawSplitter.Split(text, sections);
        var pieces = new List<string>();
        var subsections = new List<(string Text, AddedToken? Token)>();
        for (var i = 0; i < sections.Count; i++)
        {
            var (section, token) = sections[i];
            if (token != null) { ids.Add(token.Id); continue; }
            if (section.Length == 0) continue;
            var normalized = _normalizer?.Normalize(section) ?? section;
            if (normalized.Length == 0) continue;
            subsections.Clear();
            if (_normalizedSplitter.IsEmpty) subsections.Add((normalized, null));
            else _normalizedSplitter.Split(normalized, subsections);
            foreach (var (sub, subToken) in subsections)
            {
                if (subToken != null) { ids.Add(subToken.Id); continue; }
                if (sub.Length == 0) continue;
                pieces.Clear();
                if (_preTokenizer == null) pieces.Add(sub);
                else _preTokenizer.Split(sub, firstSection: i == 0, pieces);
                _model.Encode(pieces, ids);
            }
        }
        return (_postProcessor?.Process(ids, addSpecialTokens) ?? ids).ToArray();
    }

    /// <summary>The text after the file's normalizer (e.g. NFC for Qwen); the text itself when there is none.</summary>
    public string Normalize(string text) => _normalizer?.Normalize(text) ?? text;

    /// <summary>The pieces the normalizer and pre-tokenizer make of <paramref name="text"/> (no added-token handling);
    /// for byte-level files they are written in the byte alphabet (a space is 'Ġ').</summary>
    public IReadOnlyList<string> PreTokenize(string text)
    {
        var normalized = _normalizer?.Normalize(text) ?? text;
        var pieces = new List<string>();
        if (_preTokenizer == null) pieces.Add(normalized);
        else _preTokenizer.Split(normalized, firstSection: true, pieces);
        return pieces;
    }

    /// <summary>
    /// Whether <see cref="Decode"/> applies HF's clean-up (" ." → ".", " 's" → "'s" etc.) by default: tokenizer_config.json's
    /// <c>clean_up_tokenization_spaces</c> (true when the config lacks the key, false without a config), but never for a
    /// byte-level BPE decoder, whose output is already the exact text (current transformers skips the clean-up for BPE
    /// tokenizers; with it, Llama-3's "x != y" decoded to "x!= y"). So the CLI, the library and generation all decode exactly.
    /// </summary>
    public bool CleansUpSpaces => _cleanUpSpaces && _decoder is not { IsByteLevel: true };

    /// <summary>Ids → text. <paramref name="cleanUpTokenizationSpaces"/> (HF: " ." → ".", " 's" → "'s" etc.) defaults to
    /// <see cref="CleansUpSpaces"/>; true forces the clean-up on any tokenizer. Throws <see cref="ArgumentOutOfRangeException"/>
    /// for an id outside the vocabulary.</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false, bool? cleanUpTokenizationSpaces = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(IdToToken(id) ?? throw new ArgumentOutOfRangeException(nameof(ids), id,
                $"token id {id} is not in the vocabulary of '{SourcePath}' (ids run from 0 to {VocabSize - 1}); the ids come from a different tokenizer or model"));
        }
        var text = _decoder == null ? string.Join(" ", tokens) : string.Concat(_decoder.DecodeChain(tokens, _addedContents));
        return cleanUpTokenizationSpaces ?? CleansUpSpaces ? CleanUp(text) : text;
    }

    /// <summary>HF's <c>clean_up_tokenization</c>: removes the space before punctuation and English contractions.</summary>
    static string CleanUp(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <summary>A decoder that takes one id at a time and returns only complete text (see <see cref="DecodeStream"/>).</summary>
    public DecodeStream CreateStream(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>The id of a token string (vocabulary or added token), or null.</summary>
    public int? TokenToId(string token) => _model.Vocab.TryGetValue(token, out var id) ? id : null;

    /// <summary>The token string of an id, or null when the id is not used.</summary>
    public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

    /// <summary>True for ids of special added tokens (and config's additional_special_tokens): those <c>skipSpecialTokens</c> drops.</summary>
    public bool IsSpecial(int id) => _specialIds.Contains(id);
}
