using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Core.Templates;

/// <summary>
/// A parsed HF <c>chat_template</c>: parse once, render many conversations. Whitespace handling is transformers'
/// (trim_blocks, lstrip_blocks); the supported Jinja subset is what HF chat templates use (see Parser and Filters).
/// Renderings are checked character for character against @huggingface/jinja in the tests.
/// </summary>
public sealed class ChatTemplate
{
    /// <summary>
    /// The template of the toolkit's tiny preset model: ChatML turns <c>&lt;|im_start|&gt;role\n...&lt;|im_end|&gt;\n</c>,
    /// content as a string or a list of text parts, and <c>&lt;|im_start|&gt;assistant\n</c> when a generation prompt is asked for.
    /// </summary>
    public const string TinyPresetSource = """
        {%- for message in messages %}
            {{- '<|im_start|>' + message['role'] + '\n' }}
            {%- if message['content'] is string %}
                {{- message['content'] }}
            {%- else %}
                {%- for part in message['content'] if part['type'] == 'text' %}
                    {{- part['text'] }}
                {%- endfor %}
            {%- endif %}
            {{- '<|im_end|>\n' }}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
        {%- endif %}
        """;

    readonly List<Node> body;

    /// <summary>The template text as given.</summary>
    public string Source { get; }

    /// <summary>Passed to the template as <c>bos_token</c> unless the render call supplies one; null leaves it undefined.</summary>
    public string? BosToken { get; private init; }

    /// <summary>Passed to the template as <c>eos_token</c> unless the render call supplies one; null leaves it undefined.</summary>
    public string? EosToken { get; private init; }

    /// <summary>The clock behind <c>strftime_now</c> (local time by default, as transformers uses).</summary>
    public Func<DateTime> Clock { get; private init; } = () => DateTime.Now;

    /// <summary>The file the template was read from (named in render errors); null when it was given as text.</summary>
    public string? Origin { get; private init; }

    /// <summary>Depth, work and size bounds for each render (see <see cref="TemplateLimits"/>).</summary>
    public TemplateLimits Limits { get; private init; } = TemplateLimits.Default;

    ChatTemplate(string source, List<Node> body)
    {
        Source = source;
        this.body = body;
    }

    /// <summary>Parses <paramref name="source"/>; a construct outside the supported subset throws a <see cref="TemplateException"/> with its line:column.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, Parser.Parse(TemplateSource.Preprocess(source)));
    }

    /// <summary>The same template with other special tokens.</summary>
    public ChatTemplate WithSpecialTokens(string? bosToken, string? eosToken) =>
        new(Source, body) { BosToken = bosToken, EosToken = eosToken, Clock = Clock, Origin = Origin, Limits = Limits };

    /// <summary>The same template with another clock for <c>strftime_now</c> (tests pin a date).</summary>
    public ChatTemplate WithClock(Func<DateTime> clock) =>
        new(Source, body) { BosToken = BosToken, EosToken = EosToken, Clock = clock, Origin = Origin, Limits = Limits };

    ChatTemplate WithOrigin(string origin) =>
        new(Source, body) { BosToken = BosToken, EosToken = EosToken, Clock = Clock, Origin = origin, Limits = Limits };

    /// <summary>The same template with other render limits.</summary>
    public ChatTemplate WithLimits(TemplateLimits limits) =>
        new(Source, body) { BosToken = BosToken, EosToken = EosToken, Clock = Clock, Origin = Origin, Limits = limits };

    /// <summary>
    /// Reads <c>chat_template</c> (a string, or a list of <c>{name, template}</c> of which "default" is taken) and
    /// <c>bos_token</c>/<c>eos_token</c> (a string or <c>{"content": ...}</c>) from a tokenizer_config.json. When the
    /// config has no template, a <c>chat_template.jinja</c> beside it (where newer transformers save it) is used.
    /// </summary>
    public static ChatTemplate FromTokenizerConfig(string tokenizerConfigPath)
    {
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(tokenizerConfigPath)) as JsonObject
                ?? throw new InvalidDataException($"{tokenizerConfigPath}: expected a JSON object at the top level");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{tokenizerConfigPath}: not valid JSON ({e.Message})", e);
        }

        var source = ReadTemplateField(config, tokenizerConfigPath);
        var origin = tokenizerConfigPath;
        if (source is null)
        {
            var jinja = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerConfigPath))!, "chat_template.jinja");
            origin = jinja;
            source = File.Exists(jinja) ? File.ReadAllText(jinja)
                : throw new InvalidDataException(
                    $"{tokenizerConfigPath}: no 'chat_template' field, and no chat_template.jinja beside it. " +
                    "HINT: base (non-chat) checkpoints often ship without one; pass a template explicitly, e.g. ChatTemplate.Parse(ChatTemplate.TinyPresetSource).");
        }

        ChatTemplate t;
        try
        {
            t = Parse(source);
        }
        catch (TemplateException e)
        {
            throw e.From(origin);
        }
        return t.WithSpecialTokens(ReadToken(config, "bos_token", tokenizerConfigPath), ReadToken(config, "eos_token", tokenizerConfigPath)).WithOrigin(origin);
    }

    static string? ReadTemplateField(JsonObject config, string path)
    {
        switch (config["chat_template"])
        {
            case null: return null;
            case JsonValue v when v.TryGetValue<string>(out var s): return s;
            case JsonArray list:
                var names = new List<string>();
                foreach (var item in list)
                {
                    var name = item?["name"]?.GetValue<string>();
                    if (name is not null) names.Add(name);
                    if (name == "default")
                        return item!["template"]?.GetValue<string>()
                            ?? throw new InvalidDataException($"{path}: field 'chat_template': the \"default\" entry has no 'template' string");
                }
                throw new InvalidDataException($"{path}: field 'chat_template' is a list without a \"default\" entry (it has: {string.Join(", ", names)})");
            default:
                throw new InvalidDataException($"{path}: field 'chat_template' must be a string or a list of {{name, template}} objects");
        }
    }

    static string? ReadToken(JsonObject config, string field, string path) => config[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
        _ => throw new InvalidDataException($"{path}: field '{field}' must be a string or an object with a 'content' string"),
    };

    /// <summary>Renders <paramref name="messages"/>; <paramref name="extra"/> adds or overrides variables (tools, documents, enable_thinking, date_string, ...).</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IDictionary<string, object?>? extra = null)
    {
        var list = new JsonArray();
        foreach (var m in messages) list.Add(m.ToJson());
        return Render(list, addGenerationPrompt, extra);
    }

    /// <summary>Renders a JSON list of message objects, each read as-is (any field is visible to the template).</summary>
    public string Render(JsonArray messages, bool addGenerationPrompt, IDictionary<string, object?>? extra = null)
    {
        var vars = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (extra is not null)
            foreach (var (k, v) in extra) vars[k] = v;
        return Render(vars);
    }

    /// <summary>Renders with exactly these variables, plus bos_token/eos_token when set and not given.</summary>
    public string Render(IDictionary<string, object?> variables)
    {
        var scope = new Scope(Globals.Create());
        if (BosToken is not null) scope.Set("bos_token", new StringValue(BosToken));
        if (EosToken is not null) scope.Set("eos_token", new StringValue(EosToken));
        foreach (var (k, v) in variables) scope.Set(k, Value.From(v));
        try
        {
            return new Interpreter(Clock, Limits).Run(body, scope);
        }
        catch (TemplateException e) when (Origin is not null)
        {
            throw e.From(Origin);
        }
    }
}
