using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using M = Toolkit.Train.Data.MessageReader;

namespace Toolkit.Train.Data;

/// <summary>
/// LLaMA-Factory's documented data forms (hiyouga/LLaMA-Factory data/README.md), read into the same rows as TRL's:
/// <list type="bullet">
/// <item>alpaca SFT <c>{instruction, input?, output, system?, history?}</c>; alpaca preference <c>{instruction, input?,
/// chosen, rejected, system?, history?}</c> (and the older ranking <c>output: [chosen, rejected]</c>, in
/// <see cref="RowParser"/>); alpaca KTO <c>{instruction, input?, output, kto_tag}</c>. The user turn is
/// <c>instruction + "\n" + input</c>; history <c>[[query, answer], ...]</c> become earlier turns.</item>
/// <item>sharegpt SFT <c>{conversations: [{from, value}], system?, tools?}</c>; sharegpt preference <c>{conversations,
/// chosen: {from, value}, rejected: {from, value}}</c>; sharegpt KTO <c>{conversations, kto_tag}</c> (the last turn is the
/// judged answer). Roles: human → user, gpt → assistant, observation → tool, function_call → an assistant tool call,
/// system → system. The OpenAI variant (<c>messages</c> with role/content) is read the same way.</item>
/// </list>
/// <c>tools</c> (a JSON string or list) is handed to the chat template as its <c>tools</c> variable.
/// </summary>
internal static class LlamaFactoryRows
{
    /// <summary>The conversation field of a sharegpt row: <c>conversations</c>, or <c>messages</c> (OpenAI variant).</summary>
    public static string ConversationField(JsonObject row) => row.ContainsKey("conversations") ? "conversations" : "messages";

    /// <summary>Alpaca prompt: system, history turns, then the user turn instruction[\n input].</summary>
    static List<ChatMessage> AlpacaPrompt(JsonObject row, string hint)
    {
        var instruction = M.String(M.Required(row, "instruction", hint), "instruction", hint);
        var input = M.Optional(row, "input") is { } i ? M.String(i, "input", hint) : "";
        var prompt = new List<ChatMessage>();
        if (M.Optional(row, "system") is { } s) prompt.Add(ChatMessage.System(M.String(s, "system", hint)));
        if (M.Optional(row, "history") is { } h)
        {
            if (h is not JsonArray turns) throw new BadRow("history", DataErrorKind.WrongType, $"expected a list of [query, answer] pairs, found {M.Describe(h)}", "write history as [[\"q1\", \"a1\"], ...]");
            for (var t = 0; t < turns.Count; t++)
            {
                if (turns[t] is not JsonArray qa || qa.Count != 2 || qa[0] is null || qa[1] is null)
                    throw new BadRow($"history[{t}]", DataErrorKind.WrongType, $"expected a [query, answer] pair, found {M.Describe(turns[t])}", "write history as [[\"q1\", \"a1\"], ...]");
                prompt.Add(ChatMessage.User(M.String(qa[0]!, $"history[{t}][0]", hint)));
                prompt.Add(ChatMessage.Assistant(M.String(qa[1]!, $"history[{t}][1]", hint)));
            }
        }
        prompt.Add(ChatMessage.User(input.Length > 0 ? instruction + "\n" + input : instruction));
        return prompt;
    }

    /// <summary>The alpaca prompt as a segment, with the row's tools.</summary>
    public static Segment AlpacaPromptSegment(JsonObject row, string hint) => Segment.FromMessages(AlpacaPrompt(row, hint)) with { Tools = Tools(row) };

    static Segment Answer(JsonObject row, string field, string hint) =>
        Segment.FromMessages([ChatMessage.Assistant(M.String(M.Required(row, field, hint), field, hint))]);

    public static SftRow AlpacaSft(RowOrigin origin, JsonObject row, string hint)
    {
        var prompt = AlpacaPromptSegment(row, hint);
        var output = Answer(row, "output", hint);
        if (output.IsBlank) throw new BadRow("output", DataErrorKind.EmptyCompletion, "the output is empty", "give a non-empty output or remove the row");
        // LLaMA-Factory trains the history answers too: the whole conversation, loss on every assistant turn
        return new SftRow(origin, null, Segment.FromMessages([.. prompt.Messages!, .. output.Messages!]) with { Tools = prompt.Tools });
    }

    public static PreferenceRow AlpacaPair(RowOrigin origin, JsonObject row, string hint) =>
        new(origin, AlpacaPromptSegment(row, hint), Answer(row, "chosen", hint), Answer(row, "rejected", hint));

    public static UnpairedRow AlpacaKto(RowOrigin origin, JsonObject row, string hint)
    {
        var prompt = AlpacaPromptSegment(row, hint);
        var output = Answer(row, "output", hint);
        if (output.IsBlank) throw new BadRow("output", DataErrorKind.EmptyCompletion, "the output is empty", "give a non-empty output or remove the row");
        return new UnpairedRow(origin, prompt, output, KtoTag(row, hint));
    }

    static bool KtoTag(JsonObject row, string hint) =>
        M.Bool(M.Required(row, "kto_tag", hint), "kto_tag", "write kto_tag as true (desirable) or false (undesirable)");

    /// <summary>The sharegpt conversation (plus the system column first), in our message form.</summary>
    static List<ChatMessage> Conversation(JsonObject row, string hint)
    {
        var field = ConversationField(row);
        var node = M.Required(row, field, hint);
        if (node is not JsonArray list) throw new BadRow(field, DataErrorKind.WrongType, $"expected a list of {{\"from\", \"value\"}} turns, found {M.Describe(node)}", hint);
        var result = new List<ChatMessage>();
        if (M.Optional(row, "system") is { } s) result.Add(ChatMessage.System(M.String(s, "system", hint)));
        for (var i = 0; i < list.Count; i++) result.Add(Turn(list[i], $"{field}[{i}]"));
        return result;
    }

    /// <summary>One turn: {from, value} (sharegpt) or {role, content} (OpenAI).</summary>
    static ChatMessage Turn(JsonNode? node, string path)
    {
        if (node is JsonObject o && o.ContainsKey("role")) return M.Messages(new JsonArray(o.DeepClone()), path)[0];
        const string turnHint = "write each turn as {\"from\": \"human\" | \"gpt\" | \"observation\" | \"function_call\" | \"system\", \"value\": \"...\"}";
        if (node is not JsonObject turn) throw new BadRow(path, DataErrorKind.WrongType, $"expected a turn object, found {M.Describe(node)}", turnHint);
        var from = turn["from"] is { } f && M.IsString(f, out var fs) ? fs : throw new BadRow($"{path}.from", DataErrorKind.MissingField, "the turn has no 'from'", turnHint);
        var value = turn["value"] is { } v && M.IsString(v, out var vs) ? vs : throw new BadRow($"{path}.value", DataErrorKind.MissingField, "the turn has no string 'value'", turnHint);
        return from switch
        {
            "human" or "user" => ChatMessage.User(value),
            "gpt" or "assistant" => ChatMessage.Assistant(value),
            "system" => ChatMessage.System(value),
            "observation" or "tool" => new ChatMessage("tool", JsonValue.Create(value)),
            "function_call" => FunctionCall(value),
            _ => throw new BadRow($"{path}.from", DataErrorKind.WrongType, $"unknown role '{from}'", turnHint),
        };
    }

    /// <summary>LLaMA-Factory's function_call value, a JSON {name, arguments} (or a list of them), as an assistant tool call.</summary>
    static ChatMessage FunctionCall(string value)
    {
        JsonNode? parsed = null;
        try { parsed = JsonNode.Parse(value); } catch (JsonException) { }
        var calls = parsed switch { JsonArray a => a, JsonObject o => new JsonArray(o.DeepClone()), _ => null };
        if (calls is null) return ChatMessage.Assistant(value);
        var toolCalls = new JsonArray();
        foreach (var c in calls)
            toolCalls.Add(new JsonObject { ["type"] = "function", ["function"] = c?.DeepClone() });
        return new ChatMessage("assistant", null) { ToolCalls = toolCalls };
    }

    /// <summary>The row's tools: a JSON list (or a JSON string holding one), null when absent.</summary>
    public static JsonNode? Tools(JsonObject row)
    {
        if (M.Optional(row, "tools") is not { } t) return null;
        if (t is JsonArray) return t.DeepClone();
        if (M.IsString(t, out var s))
        {
            try { return JsonNode.Parse(s) is JsonArray a ? a : throw new BadRow("tools", DataErrorKind.WrongType, "expected a JSON list of tool descriptions", "write tools as a JSON list (or a string holding one)"); }
            catch (JsonException e) { throw new BadRow("tools", DataErrorKind.WrongType, $"is not valid JSON ({e.Message})", "write tools as a JSON list (or a string holding one)"); }
        }
        throw new BadRow("tools", DataErrorKind.WrongType, $"expected a list, found {M.Describe(t)}", "write tools as a JSON list (or a string holding one)");
    }

    public static SftRow ShareGptSft(RowOrigin origin, JsonObject row, string hint)
    {
        var messages = Conversation(row, hint);
        if (!messages.Any(m => m.Role == "assistant" && (m.ToolCalls is not null || !string.IsNullOrWhiteSpace(M.TextOf(m)))))
            throw new BadRow(ConversationField(row), DataErrorKind.EmptyCompletion, "the conversation has no non-empty gpt turn, so nothing would be trained", "add the model's answer or remove the row");
        return new SftRow(origin, null, Segment.FromMessages(messages) with { Tools = Tools(row) });
    }

    public static PreferenceRow ShareGptPair(RowOrigin origin, JsonObject row, string hint)
    {
        var prompt = Conversation(row, hint);
        if (prompt.Count == 0) throw new BadRow(ConversationField(row), DataErrorKind.EmptyCompletion, "the conversation is empty", "give at least one human turn");
        Segment Side(string field)
        {
            var node = M.Required(row, field, hint);
            return node is JsonArray list
                ? Segment.FromMessages([.. list.Select((t, i) => Turn(t, $"{field}[{i}]"))])
                : Segment.FromMessages([Turn(node, field)]);
        }
        return new PreferenceRow(origin, Segment.FromMessages(prompt) with { Tools = Tools(row) }, Side("chosen"), Side("rejected"));
    }

    public static UnpairedRow ShareGptKto(RowOrigin origin, JsonObject row, string hint)
    {
        var messages = Conversation(row, hint);
        if (messages.Count < 2 || messages[^1].Role != "assistant")
            throw new BadRow(ConversationField(row), DataErrorKind.WrongType, "the last turn must be the judged gpt answer, after at least one human turn", "end the conversation with the gpt turn that kto_tag judges");
        return new UnpairedRow(origin, Segment.FromMessages(messages[..^1]) with { Tools = Tools(row) },
            Segment.FromMessages([messages[^1]]), KtoTag(row, hint));
    }
}
