using System.Text.Json.Nodes;

namespace Toolkit.Core.Templates;

/// <summary>
/// One chat turn as chat templates see it: <c>role</c>, <c>content</c> (a string, or a list of parts such as
/// <c>{"type": "text", "text": "..."}</c>), and the optional <c>name</c>, <c>tool_calls</c>, <c>tool_call_id</c>.
/// Fields a template may read beyond these (e.g. <c>reasoning_content</c>) go in <see cref="Extra"/>.
/// Null fields are left out of the message, so <c>message.name is defined</c> is false when <see cref="Name"/> is null.
/// </summary>
public sealed record ChatMessage(string Role, JsonNode? Content)
{
    /// <summary>Author name (OpenAI's <c>name</c> field); null to leave it out.</summary>
    public string? Name { get; init; }

    /// <summary>OpenAI-style tool calls, e.g. <c>[{"type":"function","function":{"name":...,"arguments":{...}}}]</c>.</summary>
    public JsonArray? ToolCalls { get; init; }

    /// <summary>For role "tool": the id of the call this message answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>Any further fields, copied into the message after the ones above.</summary>
    public JsonObject? Extra { get; init; }

    public static ChatMessage System(string content) => new("system", JsonValue.Create(content));
    public static ChatMessage User(string content) => new("user", JsonValue.Create(content));
    public static ChatMessage Assistant(string content) => new("assistant", JsonValue.Create(content));

    /// <summary>The message as a JSON object in field order role, content, name, tool_calls, tool_call_id, extras.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["role"] = Role };
        if (Content is not null) o["content"] = Content.DeepClone();
        if (Name is not null) o["name"] = Name;
        if (ToolCalls is not null) o["tool_calls"] = ToolCalls.DeepClone();
        if (ToolCallId is not null) o["tool_call_id"] = ToolCallId;
        if (Extra is not null)
            foreach (var (k, v) in Extra) o[k] = v?.DeepClone();
        return o;
    }
}
