using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Runtime.Server;

/// <summary>
/// A /v1/chat/completions request, read and checked. OpenAI's fields: <c>model</c>, <c>messages</c>,
/// <c>max_completion_tokens</c> (or the older <c>max_tokens</c>), <c>temperature</c>, <c>top_p</c>, <c>seed</c>,
/// <c>stop</c>, <c>stream</c>, <c>stream_options.include_usage</c>, <c>n</c> (1 only); extensions as vLLM names them:
/// <c>top_k</c>, <c>min_tokens</c>, <c>repetition_penalty</c>. Fields this server cannot honour (tools, logprobs,
/// frequency/presence penalties, n &gt; 1, non-text content) are refused with 400 naming the field, unless they hold
/// their neutral value; unknown fields are refused too (a typo such as <c>max_token</c> would otherwise pass silently).
/// </summary>
/// <param name="Model">The model asked for.</param>
/// <param name="Messages">The conversation as the chat template reads it: {role, content (string), name?}.</param>
/// <param name="MaxTokens">Generated tokens at most (null = up to the context length).</param>
/// <param name="MinTokens">Generated tokens before EOS may end the answer (0 = none).</param>
/// <param name="Temperature">0 = greedy; &gt; 0 = sampling; null = the model folder's default.</param>
/// <param name="TopP">Nucleus mass in (0, 1]; null = folder default.</param>
/// <param name="TopK">Sample among the k most likely (0 = off); null = folder default.</param>
/// <param name="Seed">Random seed for sampling; null = fresh each request.</param>
/// <param name="RepetitionPenalty">&gt; 0, 1 = off; null = folder default.</param>
/// <param name="Stop">Stop strings (up to 4).</param>
/// <param name="Stream">Answer by server-sent events.</param>
/// <param name="IncludeUsage">Streaming: send a last chunk with usage.</param>
public sealed record ChatRequest(
    string Model, JsonArray Messages, int? MaxTokens, int MinTokens, double? Temperature, double? TopP, int? TopK,
    long? Seed, double? RepetitionPenalty, IReadOnlyList<string> Stop, bool Stream, bool IncludeUsage)
{
    /// <summary>vLLM's <c>chat_template_kwargs</c>: extra chat-template variables (e.g. <c>{"enable_thinking": false}</c>), or null.</summary>
    public IReadOnlyDictionary<string, object?>? ChatTemplateKwargs { get; init; }

    /// <summary>Fields accepted and ignored (they change nothing a local model does).</summary>
    static readonly HashSet<string> Ignored = ["user", "metadata", "service_tier", "parallel_tool_calls", "store", "safety_identifier", "prompt_cache_key"];

    /// <summary>Fields accepted only at their neutral value (null, false, 0, empty), with the hint given otherwise.</summary>
    static readonly Dictionary<string, string> OnlyNeutral = new()
    {
        ["frequency_penalty"] = "frequency_penalty is not supported. HINT: use repetition_penalty (an extension, > 0, 1 = off)",
        ["presence_penalty"] = "presence_penalty is not supported. HINT: use repetition_penalty (an extension, > 0, 1 = off)",
        ["logprobs"] = "logprobs are not supported by this server",
        ["top_logprobs"] = "top_logprobs are not supported by this server",
        ["logit_bias"] = "logit_bias is not supported by this server",
        ["tools"] = "tools are not supported by this server",
        ["tool_choice"] = "tool_choice is not supported by this server (no tools)",
        ["functions"] = "functions are not supported by this server",
        ["function_call"] = "function_call is not supported by this server",
        ["audio"] = "audio output is not supported by this server",
        ["prediction"] = "predicted outputs are not supported by this server",
        ["reasoning_effort"] = "reasoning_effort is not supported by this server",
        ["web_search_options"] = "web search is not supported by this server",
    };

    static readonly HashSet<string> Known =
    [
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "seed", "stop", "stream",
        "stream_options", "n", "min_tokens", "repetition_penalty", "response_format", "modalities", "chat_template_kwargs",
    ];

    /// <summary>Reads <paramref name="body"/> (the request's JSON); throws <see cref="ApiError"/> 400 naming the field at fault.</summary>
    public static ChatRequest Parse(JsonNode? body)
    {
        if (body is not JsonObject o)
            throw ApiError.BadRequest("body", "the request body must be a JSON object such as {\"model\": \"...\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", "invalid_json");
        foreach (var (key, value) in o)
        {
            if (Known.Contains(key) || Ignored.Contains(key)) continue;
            if (OnlyNeutral.TryGetValue(key, out var why))
            {
                if (!IsNeutral(value)) throw ApiError.BadRequest(key, why, "unsupported_parameter");
                continue;
            }
            throw ApiError.BadRequest(key, $"unknown field '{key}'. HINT: check its spelling; this server reads {string.Join(", ", Known)}", "unknown_parameter");
        }

        var model = o["model"] is JsonValue mv && mv.TryGetValue<string>(out var ms) && ms.Length > 0 ? ms
            : throw ApiError.BadRequest("model", "model is required: a non-empty string (GET /v1/models lists the one served)");
        var messages = ReadMessages(o["messages"]);

        var maxTokens = Int(o, "max_completion_tokens", 1, int.MaxValue);
        var legacy = Int(o, "max_tokens", 1, int.MaxValue);
        if (maxTokens is not null && legacy is not null && maxTokens != legacy)
            throw ApiError.BadRequest("max_tokens", $"max_tokens ({legacy}) and max_completion_tokens ({maxTokens}) disagree. HINT: send only max_completion_tokens");
        maxTokens ??= legacy;
        var minTokens = Int(o, "min_tokens", 0, int.MaxValue) ?? 0;
        if (maxTokens is { } mt && minTokens > mt)
            throw ApiError.BadRequest("min_tokens", $"min_tokens ({minTokens}) is more than max_tokens ({mt})");

        var temperature = Number(o, "temperature", 0, 2, "0..2 (0 = greedy)");
        var topP = Number(o, "top_p", 0, 1, "0 < top_p ≤ 1 (1 = off)");
        if (topP == 0) throw ApiError.BadRequest("top_p", "top_p must be > 0. HINT: use temperature 0 for greedy decoding, or top_p 1 for no nucleus cut");
        var topK = Int(o, "top_k", -1, int.MaxValue);
        if (topK == -1) topK = 0;   // vLLM's "off"
        var penalty = Number(o, "repetition_penalty", double.Epsilon, double.MaxValue, "> 0 (1 = off)");
        long? seed = o["seed"] is null ? null : Whole(o["seed"], "seed", long.MinValue, long.MaxValue);

        if (Int(o, "n", 1, int.MaxValue) is > 1)
            throw ApiError.BadRequest("n", "n must be 1: this server returns one choice per request. HINT: send the request several times (with different seeds)");
        var stream = Bool(o, "stream") ?? false;
        var includeUsage = false;
        if (o["stream_options"] is JsonObject so)
        {
            if (!stream) throw ApiError.BadRequest("stream_options", "stream_options is only allowed when stream is true");
            foreach (var (k, _) in so)
                if (k is not ("include_usage" or "include_obfuscation"))
                    throw ApiError.BadRequest($"stream_options.{k}", $"unknown field stream_options.{k}. HINT: the known field is include_usage", "unknown_parameter");
            includeUsage = Bool(so, "include_usage", "stream_options.") ?? false;
        }
        else if (o["stream_options"] is not null) throw ApiError.BadRequest("stream_options", "stream_options must be an object such as {\"include_usage\": true}");
        if (o["response_format"] is { } rf && !(rf is JsonObject rfo && rfo["type"]?.GetValueKind() == JsonValueKind.String && (string?)rfo["type"] == "text"))
            throw ApiError.BadRequest("response_format", "only response_format {\"type\": \"text\"} is supported (no JSON mode or schemas)", "unsupported_parameter");
        if (o["modalities"] is JsonArray mods && mods.Any(m => m?.GetValueKind() != JsonValueKind.String || (string?)m != "text"))
            throw ApiError.BadRequest("modalities", "only the \"text\" modality is supported", "unsupported_parameter");

        return new ChatRequest(model, messages, maxTokens, minTokens, temperature, topP, topK, seed, penalty, Stops(o["stop"]), stream, includeUsage)
        {
            ChatTemplateKwargs = TemplateKwargs(o["chat_template_kwargs"]),
        };
    }

    /// <summary>chat_template_kwargs (as vLLM): an object of template variables; the server's own (messages, add_generation_prompt, tools) are refused.</summary>
    static IReadOnlyDictionary<string, object?>? TemplateKwargs(JsonNode? node)
    {
        if (node is null) return null;
        if (node is not JsonObject kw) throw ApiError.BadRequest("chat_template_kwargs", "chat_template_kwargs must be an object such as {\"enable_thinking\": false}");
        var result = new Dictionary<string, object?>();
        foreach (var (k, v) in kw)
        {
            if (k is "messages" or "add_generation_prompt" or "tools" or "bos_token" or "eos_token")
                throw ApiError.BadRequest($"chat_template_kwargs.{k}", $"chat_template_kwargs.{k} is set by the server and cannot be overridden", "unsupported_parameter");
            result[k] = v?.DeepClone();
        }
        return result;
    }

    /// <summary>messages → the template's list: developer becomes system; text parts are joined into one string.</summary>
    static JsonArray ReadMessages(JsonNode? node)
    {
        if (node is not JsonArray list || list.Count == 0)
            throw ApiError.BadRequest("messages", "messages must be a non-empty array of {\"role\": ..., \"content\": ...} objects");
        var result = new JsonArray();
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"messages[{i}]";
            if (list[i] is not JsonObject m) throw ApiError.BadRequest(at, $"{at} must be an object with role and content");
            var role = m["role"] is JsonValue rv && rv.TryGetValue<string>(out var r) ? r : null;
            role = role switch
            {
                "system" or "user" or "assistant" => role,
                "developer" => "system",
                "tool" or "function" => throw ApiError.BadRequest($"{at}.role", $"{at}.role '{role}' is not supported (this server has no tools)", "unsupported_parameter"),
                _ => throw ApiError.BadRequest($"{at}.role", $"{at}.role must be one of system, developer, user, assistant (got {m["role"]?.ToJsonString() ?? "nothing"})"),
            };
            foreach (var (key, value) in m)
                if (key is not ("role" or "content" or "name" or "refusal") && !(key == "tool_calls" && IsNeutral(value)))
                    throw ApiError.BadRequest($"{at}.{key}", $"{at}.{key} is not supported", "unsupported_parameter");
            var turn = new JsonObject { ["role"] = role, ["content"] = Content(m["content"], $"{at}.content") };
            if (m["name"] is JsonValue nv && nv.TryGetValue<string>(out var name)) turn["name"] = name;
            result.Add(turn);
        }
        return result;
    }

    static string Content(JsonNode? node, string at)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is JsonArray parts)
        {
            var text = new System.Text.StringBuilder();
            for (var j = 0; j < parts.Count; j++)
            {
                var p = parts[j] as JsonObject;
                var type = p?["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
                if (type != "text" || p!["text"] is not JsonValue xv || !xv.TryGetValue<string>(out var x))
                    throw ApiError.BadRequest($"{at}[{j}]", $"{at}[{j}] must be a text part {{\"type\": \"text\", \"text\": \"...\"}} (images, audio and files are not supported)", "unsupported_parameter");
                text.Append(x);
            }
            return text.ToString();
        }
        throw ApiError.BadRequest(at, $"{at} must be a string or an array of text parts");
    }

    static IReadOnlyList<string> Stops(JsonNode? node)
    {
        string[] stops = node switch
        {
            null => [],
            JsonValue v when v.TryGetValue<string>(out var s) => [s],
            JsonArray a => a.Select((x, i) => x is JsonValue xv && xv.TryGetValue<string>(out var s) ? s
                : throw ApiError.BadRequest($"stop[{i}]", $"stop[{i}] must be a string")).ToArray(),
            _ => throw ApiError.BadRequest("stop", "stop must be a string or an array of up to 4 strings"),
        };
        if (stops.Length > 4) throw ApiError.BadRequest("stop", $"stop has {stops.Length} strings; at most 4 are allowed");
        if (stops.Any(s => s.Length == 0)) throw ApiError.BadRequest("stop", "a stop string is empty. HINT: remove it (it would end every answer at once)");
        return stops;
    }

    static bool IsNeutral(JsonNode? v) => v switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonObject obj => obj.Count == 0,
        JsonValue x => x.GetValueKind() switch
        {
            JsonValueKind.False or JsonValueKind.Null => true,
            JsonValueKind.Number => x.GetValue<double>() == 0,
            _ => false,
        },
        _ => false,
    };

    static double? Number(JsonObject o, string name, double min, double max, string range)
    {
        if (o[name] is null) return null;
        if (o[name] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
            throw ApiError.BadRequest(name, $"{name} must be a number ({range})");
        var x = v.GetValue<double>();
        if (!(x >= min && x <= max)) throw ApiError.BadRequest(name, $"{name} = {x.ToString(CultureInfo.InvariantCulture)} is out of range: use {range}");
        return x;
    }

    static int? Int(JsonObject o, string name, int min, int max) =>
        o[name] is null ? null : (int)Whole(o[name], name, min, max);

    static long Whole(JsonNode? node, string name, long min, long max)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var x))
        {
            if (x < min || x > max) throw ApiError.BadRequest(name, $"{name} = {x} is out of range: use {(max == int.MaxValue || max == long.MaxValue ? $"≥ {min}" : $"{min}..{max}")}");
            return x;
        }
        throw ApiError.BadRequest(name, $"{name} must be a whole number");
    }

    static bool? Bool(JsonObject o, string name, string prefix = "")
    {
        if (o[name] is null) return null;
        return o[name]!.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiError.BadRequest(prefix + name, $"{prefix}{name} must be true or false"),
        };
    }
}
