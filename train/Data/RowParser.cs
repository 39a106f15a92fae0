using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using M = Toolkit.Train.Data.MessageReader;

namespace Toolkit.Train.Data;

/// <summary>
/// Turns one JSON row into a <see cref="PreferenceRow"/>, <see cref="UnpairedRow"/> or <see cref="SftRow"/> of a given
/// <see cref="DataForm"/>, or throws <see cref="BadRow"/>. <see cref="Detect"/> guesses a row's form from its keys.
/// </summary>
internal static class RowParser
{
    /// <summary>The form a row's keys point to, or null when they match none.</summary>
    public static DataForm? Detect(JsonObject row)
    {
        bool Has(string k) => row.ContainsKey(k);
        if (Has("messages")) return DataForm.SftMessages;
        if (Has("instruction") || Has("output")) return DataForm.RankingPair;
        if (Has("label")) return DataForm.Unpaired;
        if (Has("chosen") || Has("rejected"))
            return !Has("prompt") ? DataForm.ImplicitPair : row["prompt"] is JsonArray ? DataForm.ConversationalPair : DataForm.StandardPair;
        if (Has("completion")) return DataForm.SftPromptCompletion;
        return null;
    }

    /// <summary>Standard, conversational and implicit pairs are one family: a row of one in a file of another gets field errors, not a form mismatch.</summary>
    public static bool SameFamily(DataForm a, DataForm b) => a == b || (IsTrlPair(a) && IsTrlPair(b));

    static bool IsTrlPair(DataForm f) => f is DataForm.StandardPair or DataForm.ConversationalPair or DataForm.ImplicitPair;

    public static string Describe(DataForm form) => form switch
    {
        DataForm.StandardPair => "standard form {prompt, chosen, rejected} with strings",
        DataForm.ConversationalPair => "conversational form {prompt, chosen, rejected} with message lists",
        DataForm.ImplicitPair => "implicit-prompt form {chosen, rejected}",
        DataForm.RankingPair => "LLaMA-Factory ranking form {instruction, input, output: [chosen, rejected]}",
        DataForm.Unpaired => "unpaired KTO form {prompt, completion, label}",
        DataForm.SftMessages => "SFT form {messages}",
        DataForm.SftPromptCompletion => "SFT form {prompt, completion}",
        _ => form.ToString(),
    };

    public const string KnownForms =
        "use one of: {prompt, chosen, rejected}; {chosen, rejected}; {instruction, input, output: [chosen, rejected]}; " +
        "{prompt, completion, label}; {messages}; {prompt, completion}";

    public static object Parse(JsonObject row, DataForm form, RowOrigin origin)
    {
        var hint = $"this file is in {Describe(form)}";
        return form switch
        {
            DataForm.StandardPair => Pair(origin, row, hint, chat: false),
            DataForm.ConversationalPair => Pair(origin, row, hint, chat: true),
            DataForm.ImplicitPair => Implicit(origin, row, hint),
            DataForm.RankingPair => Ranking(origin, row, hint),
            DataForm.Unpaired => Unpaired(origin, row, hint),
            DataForm.SftMessages => SftMessages(origin, row, hint),
            DataForm.SftPromptCompletion => SftPromptCompletion(origin, row, hint),
            _ => throw new ArgumentOutOfRangeException(nameof(form)),
        };
    }

    static Segment Typed(JsonObject row, string field, string hint, bool chat)
    {
        var node = M.Required(row, field, hint);
        if (chat) return Segment.FromMessages(M.Messages(node, field));
        if (node is JsonArray) throw new BadRow(field, DataErrorKind.WrongType, "expected a string, found a list", hint);
        return Segment.FromText(M.String(node, field, hint));
    }

    static PreferenceRow Pair(RowOrigin origin, JsonObject row, string hint, bool chat)
    {
        var prompt = Typed(row, "prompt", hint, chat);
        if (chat && prompt.Messages!.Count == 0)
            throw new BadRow("prompt", DataErrorKind.EmptyCompletion, "the prompt has no messages", "give at least one user message");
        var chosen = Typed(row, "chosen", hint, chat);
        var rejected = Typed(row, "rejected", hint, chat);
        return CheckPair(new PreferenceRow(origin, prompt, chosen, rejected));
    }

    static PreferenceRow CheckPair(PreferenceRow r, string chosenField = "chosen", string rejectedField = "rejected")
    {
        if (r.Chosen.IsBlank) throw new BadRow(chosenField, DataErrorKind.EmptyCompletion, "the chosen completion is empty", "give a non-empty chosen answer or remove the row");
        if (r.Rejected.IsBlank) throw new BadRow(rejectedField, DataErrorKind.EmptyCompletion, "the rejected completion is empty", "give a non-empty rejected answer or remove the row");
        if (r.Chosen.Key == r.Rejected.Key)
            throw new BadRow(rejectedField, DataErrorKind.IdenticalPair, "chosen and rejected are identical, so the pair carries no preference", "remove the row or fix one side");
        return r;
    }

    /// <summary>TRL's extract_prompt: the prompt is the longest common prefix (of messages, or of characters backed off before a space).</summary>
    static PreferenceRow Implicit(RowOrigin origin, JsonObject row, string hint)
    {
        var chosen = M.Segment(M.Required(row, "chosen", hint), "chosen", hint);
        var rejected = M.Segment(M.Required(row, "rejected", hint), "rejected", hint);
        if (chosen.IsChat != rejected.IsChat)
            throw new BadRow("rejected", DataErrorKind.WrongType, $"chosen is {(chosen.IsChat ? "a message list" : "a string")} but rejected is not", "write both as strings or both as message lists");
        const string noPrompt = "chosen and rejected share no prompt";
        const string noPromptHint = "give an explicit 'prompt' field, or start chosen and rejected with the same user turn";
        if (chosen.IsChat)
        {
            var (c, r) = (chosen.Messages!, rejected.Messages!);
            var n = 0;
            while (n < c.Count && n < r.Count && SameMessage(c[n], r[n])) n++;
            if (n == 0) throw new BadRow("chosen[0]", DataErrorKind.NoSharedPrompt, noPrompt, noPromptHint);
            if (n == c.Count && n == r.Count) throw new BadRow("rejected", DataErrorKind.IdenticalPair, "chosen and rejected are identical, so the pair carries no preference", "remove the row or fix one side");
            return CheckPair(new PreferenceRow(origin, Segment.FromMessages(c.Take(n).ToList()),
                Segment.FromMessages(c.Skip(n).ToList()), Segment.FromMessages(r.Skip(n).ToList())));
        }
        var (a, b) = (chosen.Text!, rejected.Text!);
        var k = 0;
        while (k < a.Length && k < b.Length && a[k] == b[k]) k++;
        if (k < a.Length && k < b.Length && k > 0 && a[k - 1] == ' ') k--;   // the completion keeps its leading space
        if (k == 0) throw new BadRow("chosen", DataErrorKind.NoSharedPrompt, noPrompt, noPromptHint);
        return CheckPair(new PreferenceRow(origin, Segment.FromText(a[..k]), Segment.FromText(a[k..]), Segment.FromText(b[k..])));
    }

    static bool SameMessage(ChatMessage x, ChatMessage y) =>
        x.Role == y.Role && JsonNode.DeepEquals(x.Content, y.Content) && x.Name == y.Name
        && JsonNode.DeepEquals(x.ToolCalls, y.ToolCalls) && JsonNode.DeepEquals(x.Extra, y.Extra);

    /// <summary>LLaMA-Factory alpaca ranking: user turn = instruction + "\n" + input; history pairs become earlier turns.</summary>
    static PreferenceRow Ranking(RowOrigin origin, JsonObject row, string hint)
    {
        var instruction = M.String(M.Required(row, "instruction", hint), "instruction", hint);
        var input = M.Optional(row, "input") is { } i ? M.String(i, "input", hint) : "";
        var output = M.Required(row, "output", hint);
        if (output is not JsonArray pair || pair.Count != 2)
            throw new BadRow("output", DataErrorKind.WrongType, $"expected [chosen, rejected] (a list of 2 strings), found {M.Describe(output)}", "write output as [\"better answer\", \"worse answer\"]");
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
        var chosen = M.String(pair[0] ?? throw new BadRow("output[0]", DataErrorKind.WrongType, "is null", "give the chosen answer"), "output[0]", hint);
        var rejected = M.String(pair[1] ?? throw new BadRow("output[1]", DataErrorKind.WrongType, "is null", "give the rejected answer"), "output[1]", hint);
        return CheckPair(new PreferenceRow(origin, Segment.FromMessages(prompt),
            Segment.FromMessages([ChatMessage.Assistant(chosen)]), Segment.FromMessages([ChatMessage.Assistant(rejected)])), "output[0]", "output[1]");
    }

    static (Segment Prompt, Segment Completion) PromptCompletion(JsonObject row, string hint)
    {
        var prompt = M.Segment(M.Required(row, "prompt", hint), "prompt", hint);
        var completion = M.Segment(M.Required(row, "completion", hint), "completion", hint);
        if (prompt.IsChat != completion.IsChat)
            throw new BadRow("completion", DataErrorKind.WrongType, $"prompt is {(prompt.IsChat ? "a message list" : "a string")} but completion is not", "write both as strings or both as message lists");
        if (completion.IsBlank) throw new BadRow("completion", DataErrorKind.EmptyCompletion, "the completion is empty", "give a non-empty completion or remove the row");
        return (prompt, completion);
    }

    static UnpairedRow Unpaired(RowOrigin origin, JsonObject row, string hint)
    {
        var (prompt, completion) = PromptCompletion(row, hint);
        var label = M.Bool(M.Required(row, "label", hint), "label", "write label as true (desirable) or false (undesirable)");
        return new UnpairedRow(origin, prompt, completion, label);
    }

    static SftRow SftPromptCompletion(RowOrigin origin, JsonObject row, string hint)
    {
        var (prompt, completion) = PromptCompletion(row, hint);
        return new SftRow(origin, prompt, completion);
    }

    static SftRow SftMessages(RowOrigin origin, JsonObject row, string hint)
    {
        var messages = M.Messages(M.Required(row, "messages", hint), "messages");
        if (!messages.Any(m => m.Role == "assistant" && !string.IsNullOrWhiteSpace(M.TextOf(m))))
            throw new BadRow("messages", DataErrorKind.EmptyCompletion, "the conversation has no non-empty assistant message, so nothing would be trained", "add the assistant's answer or remove the row");
        return new SftRow(origin, null, Segment.FromMessages(messages));
    }
}
