using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Core.Templates;

namespace Toolkit.Train.Data;

/// <summary>
/// Reads fields of a JSON row: strings, booleans and chat message lists (<c>[{"role": ..., "content": ...}, ...]</c>;
/// content a string or a list of <c>{"type": "text", "text": ...}</c> parts; <c>name</c>, <c>tool_calls</c>,
/// <c>tool_call_id</c> and any other field kept for the template). Problems throw <see cref="BadRow"/> naming the field path.
/// </summary>
internal static class MessageReader
{
    const string ListHint = "write it as a list of {\"role\": ..., \"content\": ...} objects";

    public static JsonNode Required(JsonObject row, string field, string formHint)
    {
        if (!row.TryGetPropertyValue(field, out var node))
            throw new BadRow(field, DataErrorKind.MissingField, "is missing", $"add '{field}' ({formHint})");
        return node ?? throw new BadRow(field, DataErrorKind.WrongType, "is null", $"give '{field}' a value ({formHint})");
    }

    /// <summary>An optional field; absent, null and (for strings from CSV) blank all read as absent.</summary>
    public static JsonNode? Optional(JsonObject row, string field) =>
        row.TryGetPropertyValue(field, out var node) && node != null && !(IsString(node, out var s) && string.IsNullOrWhiteSpace(s)) ? node : null;

    public static bool IsString(JsonNode node, out string value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) { value = v.GetValue<string>(); return true; }
        value = "";
        return false;
    }

    public static string String(JsonNode node, string field, string formHint) =>
        IsString(node, out var s) ? s
        : throw new BadRow(field, DataErrorKind.WrongType, $"expected a string, found {Describe(node)}", formHint);

    public static bool Bool(JsonNode node, string field, string formHint) =>
        node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>()
        : throw new BadRow(field, DataErrorKind.WrongType, $"expected true or false, found {Describe(node)}", formHint);

    /// <summary>A string becomes a text segment, a list a chat segment; anything else is a wrong type.</summary>
    public static Segment Segment(JsonNode node, string field, string formHint) => node switch
    {
        JsonArray list => Data.Segment.FromMessages(Messages(list, field)),
        _ when IsString(node, out var s) => Data.Segment.FromText(s),
        _ => throw new BadRow(field, DataErrorKind.WrongType, $"expected a string or a list of messages, found {Describe(node)}", formHint),
    };

    public static List<ChatMessage> Messages(JsonNode node, string field)
    {
        if (node is not JsonArray list)
            throw new BadRow(field, DataErrorKind.WrongType, $"expected a list of messages, found {Describe(node)}", ListHint);
        var result = new List<ChatMessage>(list.Count);
        for (var i = 0; i < list.Count; i++) result.Add(Message(list[i], $"{field}[{i}]"));
        return result;
    }

    static ChatMessage Message(JsonNode? node, string path)
    {
        if (node is not JsonObject o)
            throw new BadRow(path, DataErrorKind.WrongType, $"expected a message object, found {Describe(node)}", ListHint);
        if (!o.TryGetPropertyValue("role", out var roleNode) || roleNode == null)
            throw new BadRow($"{path}.role", DataErrorKind.MissingField, "the message has no role", "add \"role\": \"user\" | \"assistant\" | \"system\" | \"tool\"");
        if (!IsString(roleNode, out var role) || role.Length == 0)
            throw new BadRow($"{path}.role", DataErrorKind.WrongType, $"expected a non-empty string, found {Describe(roleNode)}", "use \"user\", \"assistant\", \"system\" or \"tool\"");
        o.TryGetPropertyValue("content", out var content);
        var toolCalls = o["tool_calls"] as JsonArray;
        switch (content)
        {
            case null when toolCalls != null: break;
            case null:
                throw new BadRow($"{path}.content", DataErrorKind.MissingField, "the message has no content", "add \"content\": \"...\" (a string)");
            case JsonArray parts:
                for (var i = 0; i < parts.Count; i++)
                    if (parts[i] is not JsonObject p || p["type"] is not JsonValue)
                        throw new BadRow($"{path}.content[{i}]", DataErrorKind.WrongType, $"expected a part such as {{\"type\": \"text\", \"text\": ...}}, found {Describe(parts[i])}", "write content as a string or a list of text parts");
                break;
            default:
                if (!IsString(content, out _))
                    throw new BadRow($"{path}.content", DataErrorKind.WrongType, $"expected a string, found {Describe(content)}", "write content as a string");
                break;
        }
        var extra = new JsonObject();
        foreach (var (k, v) in o)
            if (k is not ("role" or "content" or "name" or "tool_calls" or "tool_call_id")) extra[k] = v?.DeepClone();
        return new ChatMessage(role, content?.DeepClone())
        {
            Name = o["name"] is { } n && IsString(n, out var name) ? name : null,
            ToolCalls = (JsonArray?)toolCalls?.DeepClone(),
            ToolCallId = o["tool_call_id"] is { } t && IsString(t, out var id) ? id : null,
            Extra = extra.Count > 0 ? extra : null,
        };
    }

    /// <summary>The text of a message: the string content, or its text parts joined.</summary>
    public static string TextOf(ChatMessage m) => m.Content switch
    {
        null => "",
        JsonArray parts => string.Concat(parts.Select(p => p?["text"] is { } t && IsString(t, out var s) ? s : "")),
        { } c when IsString(c, out var s) => s,
        _ => "",
    };

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray a => $"a list of {a.Count}",
        JsonObject => "an object",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };
}
