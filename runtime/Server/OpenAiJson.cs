using System.Text.Json.Nodes;

namespace Toolkit.Runtime.Server;

/// <summary>
/// The JSON objects of OpenAI's chat completions API this server answers with: <c>chat.completion</c>,
/// <c>chat.completion.chunk</c> (streaming: first the role, then content pieces, then finish_reason, then usage when
/// asked), the <c>list</c> of models. Field names and order as OpenAI's API reference gives them.
/// </summary>
public static class OpenAiJson
{
    /// <summary>A non-streaming answer: one choice with the assistant message, finish_reason and usage.</summary>
    public static JsonObject Completion(string id, long created, string model, ChatOutcome o) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion",
        ["created"] = created,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = o.Text, ["refusal"] = null },
            ["logprobs"] = null,
            ["finish_reason"] = o.FinishReasonName,
        }),
        ["usage"] = Usage(o),
        ["system_fingerprint"] = null,
    };

    /// <summary>A streaming chunk carrying <paramref name="delta"/> (role and/or content; empty with the finish reason).</summary>
    public static JsonObject Chunk(string id, long created, string model, JsonObject delta, string? finishReason = null) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = created,
        ["model"] = model,
        ["system_fingerprint"] = null,
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["delta"] = delta,
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        }),
    };

    /// <summary>The last streaming chunk when stream_options.include_usage is true: no choices, the usage.</summary>
    public static JsonObject UsageChunk(string id, long created, string model, ChatOutcome o) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = created,
        ["model"] = model,
        ["system_fingerprint"] = null,
        ["choices"] = new JsonArray(),
        ["usage"] = Usage(o),
    };

    /// <summary>Token counts: prompt (the rendered conversation), completion (generated), total.</summary>
    public static JsonObject Usage(ChatOutcome o) => new()
    {
        ["prompt_tokens"] = o.PromptTokens,
        ["completion_tokens"] = o.CompletionTokens,
        ["total_tokens"] = o.PromptTokens + o.CompletionTokens,
    };

    /// <summary>One model entry of /v1/models.</summary>
    public static JsonObject Model(string name, long created) => new()
    {
        ["id"] = name,
        ["object"] = "model",
        ["created"] = created,
        ["owned_by"] = "toolkit",
    };

    /// <summary>GET /v1/models: the list with the one model served.</summary>
    public static JsonObject Models(string name, long created) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray(Model(name, created)),
    };
}
