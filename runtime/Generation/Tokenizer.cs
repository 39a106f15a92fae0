using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using CoreTokenizer = Toolkit.Core.Tokenizers.Tokenizer;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// The model folder's tokenizer, shaped as ORT-GenAI's Tokenizer(Model): Encode / Decode / ApplyChatTemplate /
/// CreateStream over the toolkit's own reader of tokenizer.json (core/Tokenizers) and chat-template interpreter
/// (core/Templates). As in ORT-GenAI, <see cref="Encode"/> adds no special tokens by default (a chat template writes
/// BOS itself when the model wants one) and decoding skips special tokens.
/// </summary>
public sealed class Tokenizer
{
    readonly Model _model;
    readonly Lazy<ChatTemplate?> _template;

    /// <summary>The tokenizer of <paramref name="model"/>'s folder (model.tokenizer_dir, or the folder itself).</summary>
    public Tokenizer(Model model)
    {
        _model = model;
        _ = model.CoreTokenizer;   // load now: a missing tokenizer.json is reported here, naming the folder
        _template = new Lazy<ChatTemplate?>(LoadTemplate);
    }

    /// <summary>The toolkit tokenizer underneath (ids, vocabulary, special tokens).</summary>
    public CoreTokenizer Inner => _model.CoreTokenizer;

    /// <summary>Token ids of <paramref name="text"/>; <paramref name="addSpecialTokens"/> adds what the tokenizer's post-processor adds (BOS for Llama).</summary>
    public int[] Encode(string text, bool addSpecialTokens = false) => Inner.Encode(text, addSpecialTokens);

    /// <summary>Token ids of each text.</summary>
    public IReadOnlyList<int[]> EncodeBatch(IReadOnlyList<string> texts, bool addSpecialTokens = false) =>
        texts.Select(t => Encode(t, addSpecialTokens)).ToArray();

    /// <summary>The text of <paramref name="tokens"/>, special tokens skipped.</summary>
    public string Decode(ReadOnlySpan<int> tokens) => Inner.Decode(tokens.ToArray(), skipSpecialTokens: true);

    /// <summary>A stream that decodes one token at a time (see <see cref="TokenizerStream"/>).</summary>
    public TokenizerStream CreateStream() => new(Inner.CreateStream(skipSpecialTokens: true));

    /// <summary>model.bos_token_id of genai_config.json (else the tokenizer's), or null.</summary>
    public int? GetBosTokenId() => _model.Config.BosTokenId ?? Inner.BosId;

    /// <summary>The EOS ids generation stops on.</summary>
    public IReadOnlyList<int> GetEosTokenIds() => _model.EosTokenIds;

    /// <summary>The pad id fed to finished sequences.</summary>
    public int GetPadTokenId() => _model.PadTokenId;

    /// <summary>True when the folder has a chat template (tokenizer_config.json's chat_template or chat_template.jinja).</summary>
    public bool HasChatTemplate => _template.Value is not null;

    /// <summary>
    /// Renders a conversation with the folder's chat template, or with <paramref name="templateOverride"/> when given
    /// (ORT-GenAI's ApplyChatTemplate(template_str, messages, tools, add_generation_prompt)). <paramref name="messagesJson"/>
    /// is a JSON array of {role, content}; <paramref name="toolsJson"/> an optional JSON array passed as <c>tools</c>;
    /// <paramref name="variables"/> extra template variables (e.g. Qwen3's <c>enable_thinking</c>; vLLM's chat_template_kwargs).
    /// </summary>
    public string ApplyChatTemplate(string? templateOverride, string messagesJson, string? toolsJson, bool addGenerationPrompt,
        IReadOnlyDictionary<string, object?>? variables = null)
    {
        var template = Template(templateOverride);
        var messages = JsonNode.Parse(messagesJson) as JsonArray
            ?? throw new GenerationException("messages must be a JSON array of {\"role\": ..., \"content\": ...} objects");
        var extra = Variables(variables);
        if (!string.IsNullOrEmpty(toolsJson)) (extra ??= [])["tools"] = JsonNode.Parse(toolsJson);
        return template.Render(messages, addGenerationPrompt, extra);
    }

    /// <summary>Renders <paramref name="messages"/> with the folder's chat template and optional extra <paramref name="variables"/>.</summary>
    public string ApplyChatTemplate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null) =>
        Template(null).Render(messages, addGenerationPrompt, Variables(variables));

    static Dictionary<string, object?>? Variables(IReadOnlyDictionary<string, object?>? v) => v is null ? null : v.ToDictionary(kv => kv.Key, kv => kv.Value);

    ChatTemplate Template(string? templateOverride)
    {
        if (!string.IsNullOrEmpty(templateOverride))
            return ChatTemplate.Parse(templateOverride).WithSpecialTokens(Inner.BosToken, Inner.EosToken);
        return _template.Value ?? throw new GenerationException(
            $"'{_model.TokenizerFolder}' has no chat template (tokenizer_config.json has no chat_template and there is no chat_template.jinja). " +
            "HINT: pass the prompt as plain text (toolkit generate --raw), or add a chat_template to tokenizer_config.json");
    }

    ChatTemplate? LoadTemplate() => Toolkit.Core.Folders.ModelFolder.ReadTemplate(_model.TokenizerFolder, Inner).Template;   // the one resolver
}

/// <summary>
/// Decodes generated tokens one at a time, as ORT-GenAI's TokenizerStream: each call returns the text the token
/// completes, never half a UTF-8 character (a token holding part of one returns "" until the rest arrives).
/// </summary>
public sealed class TokenizerStream
{
    readonly Toolkit.Core.Tokenizers.DecodeStream _stream;

    internal TokenizerStream(Toolkit.Core.Tokenizers.DecodeStream stream) => _stream = stream;

    /// <summary>The text <paramref name="token"/> completes.</summary>
    public string Decode(int token) => _stream.Step(token);

    /// <summary>Text still held back at the end (non-empty only when the tokens ended mid-character).</summary>
    public string Flush() => _stream.Flush();
}
