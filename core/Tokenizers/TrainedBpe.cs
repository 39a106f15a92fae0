using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Toolkit.Core.Tokenizers;

/// <summary>
/// The result of <see cref="BpeTrainer.Train"/>: tokens by id (256 bytes, then merges), the merges in rank order and the
/// special tokens (ids after the vocabulary). <see cref="Save"/> writes a tokenizer.json and tokenizer_config.json that
/// Hugging Face transformers (Python and JS) and <see cref="Tokenizer.FromFolder"/> load. Set the token roles and
/// <see cref="ModelMaxLength"/> before saving; the caller adds <c>chat_template</c> to tokenizer_config.json itself.
/// </summary>
public sealed class TrainedBpe
{
    readonly List<string> _tokens;
    readonly List<(string Left, string Right)> _merges;

    /// <summary>Model tokens by id (byte-level alphabet strings), without the special tokens.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => _merges;

    /// <summary>Special tokens; token <c>SpecialTokens[i]</c> has id <c>Tokens.Count + i</c>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Total number of ids.</summary>
    public int VocabSize => _tokens.Count + SpecialTokens.Count;

    /// <summary>Beginning-of-sequence token (one of the special tokens) or null (default: none, as Qwen).</summary>
    public string? BosToken { get; set; }

    /// <summary>End-of-sequence token. Default: &lt;|im_end|&gt; if among the special tokens, else &lt;|endoftext|&gt;, else the first special token.</summary>
    public string? EosToken { get; set; }

    /// <summary>Padding token. Default: &lt;|endoftext|&gt; if among the special tokens, else <see cref="EosToken"/>.</summary>
    public string? PadToken { get; set; }

    /// <summary>When true (and <see cref="BosToken"/> is set) encoding with special tokens puts BOS first (a TemplateProcessing post-processor). Default false.</summary>
    public bool AddBosToken { get; set; }

    /// <summary>tokenizer_config.json's <c>model_max_length</c>. Default 4096.</summary>
    public int ModelMaxLength { get; set; } = 4096;

    internal TrainedBpe(List<string> tokens, List<(string, string)> merges, IReadOnlyList<string> specials)
    {
        _tokens = tokens;
        _merges = merges;
        SpecialTokens = specials.ToArray();
        EosToken = Pick("<|im_end|>", "<|endoftext|>") ?? specials.FirstOrDefault();
        PadToken = Pick("<|endoftext|>") ?? EosToken;
    }

    string? Pick(params string[] names) => names.FirstOrDefault(SpecialTokens.Contains);

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/> (created if needed); each file
    /// is written to a temporary name first and renamed, so a reader never sees half a file.</summary>
    public void Save(string folder)
    {
        foreach (var (role, token) in new[] { ("bos", BosToken), ("eos", EosToken), ("pad", PadToken) })
            if (token != null && !SpecialTokens.Contains(token))
                throw new InvalidOperationException($"{role}_token '{token}' is not one of the special tokens ({string.Join(", ", SpecialTokens)}); pass it to BpeTrainer.Train");
        if (AddBosToken && BosToken == null) throw new InvalidOperationException("AddBosToken is set but BosToken is null; set BosToken to one of the special tokens");
        Directory.CreateDirectory(folder);
        WriteAtomic(Path.Combine(folder, "tokenizer.json"), WriteTokenizerJson);
        WriteAtomic(Path.Combine(folder, "tokenizer_config.json"), WriteConfig);
    }

    static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static void WriteAtomic(string path, Action<Utf8JsonWriter> write) =>
        Toolkit.Core.Checkpoints.AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, Options);
            write(w);
        });

    int SpecialId(string token) => _tokens.Count + SpecialTokens.ToList().IndexOf(token);

    void WriteTokenizerJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("version", "1.0");
        w.WriteNull("truncation");
        w.WriteNull("padding");
        w.WriteStartArray("added_tokens");
        foreach (var s in SpecialTokens)
        {
            w.WriteStartObject();
            w.WriteNumber("id", SpecialId(s));
            w.WriteString("content", s);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("normalizer");
        w.WriteString("type", "NFC");
        w.WriteEndObject();
        w.WriteStartObject("pre_tokenizer");
        w.WriteString("type", "Sequence");
        w.WriteStartArray("pretokenizers");
        w.WriteStartObject();
        w.WriteString("type", "Split");
        w.WriteStartObject("pattern");
        w.WriteString("Regex", BpeTrainer.SplitRegex);
        w.WriteEndObject();
        w.WriteString("behavior", "Isolated");
        w.WriteBoolean("invert", false);
        w.WriteEndObject();
        ByteLevel(w, null);
        w.WriteEndArray();
        w.WriteEndObject();
        if (AddBosToken && BosToken != null)
        {
            w.WriteStartObject("post_processor");
            w.WriteString("type", "TemplateProcessing");
            w.WriteStartArray("single");
            w.WriteRawValue($$$"""{"SpecialToken": {"id": {{{JsonSerializer.Serialize(BosToken)}}}, "type_id": 0}}""");
            w.WriteRawValue("""{"Sequence": {"id": "A", "type_id": 0}}""");
            w.WriteEndArray();
            w.WriteStartArray("pair");
            w.WriteRawValue($$$"""{"SpecialToken": {"id": {{{JsonSerializer.Serialize(BosToken)}}}, "type_id": 0}}""");
            w.WriteRawValue("""{"Sequence": {"id": "A", "type_id": 0}}""");
            w.WriteRawValue("""{"Sequence": {"id": "B", "type_id": 1}}""");
            w.WriteEndArray();
            w.WriteStartObject("special_tokens");
            w.WriteStartObject(BosToken);
            w.WriteString("id", BosToken);
            w.WriteStartArray("ids");
            w.WriteNumberValue(SpecialId(BosToken));
            w.WriteEndArray();
            w.WriteStartArray("tokens");
            w.WriteStringValue(BosToken);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else ByteLevel(w, "post_processor");
        ByteLevel(w, "decoder");
        w.WriteStartObject("model");
        w.WriteString("type", "BPE");
        w.WriteNull("dropout");
        w.WriteNull("unk_token");
        w.WriteNull("continuing_subword_prefix");
        w.WriteNull("end_of_word_suffix");
        w.WriteBoolean("fuse_unk", false);
        w.WriteBoolean("byte_fallback", false);
        w.WriteBoolean("ignore_merges", false);
        w.WriteStartObject("vocab");
        for (var i = 0; i < _tokens.Count; i++) w.WriteNumber(_tokens[i], i);
        w.WriteEndObject();
        w.WriteStartArray("merges");
        foreach (var (a, b) in _merges)
        {
            w.WriteStartArray();
            w.WriteStringValue(a);
            w.WriteStringValue(b);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void ByteLevel(Utf8JsonWriter w, string? name)
    {
        if (name == null) w.WriteStartObject(); else w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", false);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    void WriteConfig(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteBoolean("add_bos_token", AddBosToken);
        w.WriteBoolean("add_eos_token", false);
        w.WriteBoolean("add_prefix_space", false);
        w.WriteStartObject("added_tokens_decoder");
        foreach (var s in SpecialTokens)
        {
            w.WriteStartObject(SpecialId(s).ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("content", s);
            w.WriteBoolean("lstrip", false);
            w.WriteBoolean("normalized", false);
            w.WriteBoolean("rstrip", false);
            w.WriteBoolean("single_word", false);
            w.WriteBoolean("special", true);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartArray("additional_special_tokens");
        foreach (var s in SpecialTokens.Where(s => s != BosToken && s != EosToken && s != PadToken)) w.WriteStringValue(s);
        w.WriteEndArray();
        Token(w, "bos_token", BosToken);
        Token(w, "eos_token", EosToken);
        Token(w, "pad_token", PadToken);
        w.WriteNull("unk_token");
        w.WriteBoolean("clean_up_tokenization_spaces", false);
        w.WriteString("errors", "replace");
        w.WriteNumber("model_max_length", ModelMaxLength);
        w.WriteBoolean("split_special_tokens", false);
        w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        w.WriteEndObject();
    }

    static void Token(Utf8JsonWriter w, string name, string? token)
    {
        if (token == null) w.WriteNull(name); else w.WriteString(name, token);
    }

    /// <summary>A short description, e.g. for logs: sizes and the special tokens.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"byte-level BPE: {_tokens.Count} tokens ({_merges.Count} merges) + {SpecialTokens.Count} special");
        if (SpecialTokens.Count > 0) sb.Append($" [{string.Join(", ", SpecialTokens)}]");
        return sb.ToString();
    }
}
