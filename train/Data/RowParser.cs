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
    /// <summary>
    /// The form a row's keys point to, or null when they match none. LLaMA-Factory's forms are told apart by their
    /// answer fields: alpaca rows by <c>instruction</c> with chosen/rejected (preference), <c>output: [a, b]</c> (older
    /// ranking), kto_tag (KTO) or <c>output</c> (SFT); sharegpt rows by <c>conversations</c> (or <c>messages</c> with
    /// chosen/rejected turns or kto_tag).
    /// </summary>
    public static DataForm? Detect(JsonObject row)
    {
        bool Has(string k) => row.ContainsKey(k);
        var pair = Has("chosen") || Has("rejected");
        if (Has("conversations"))
            return Has("kto_tag") ? DataForm.ShareGptKto : pair ? DataForm.ShareGptPair : DataForm.ShareGptSft;
        if (Has("messages"))
            return Has("kto_tag") ? DataForm.ShareGptKto : pair ? DataForm.ShareGptPair : DataForm.SftMessages;
        if (Has("instruction"))
            return row["output"] is JsonArray ? DataForm.RankingPair : pair ? DataForm.AlpacaPair
                : Has("kto_tag") ? DataForm.AlpacaKto : Has("output") ? DataForm.AlpacaSft : null;
        if (row["output"] is JsonArray) return DataForm.RankingPair;
        if (Has("label")) return DataForm.Unpaired;
        if (pair)
            return !Has("prompt") ? DataForm.ImplicitPair : row["prompt"] is JsonArray ? DataForm.ConversationalPair : DataForm.StandardPair;
        if (Has("completion")) return DataForm.SftPromptCompletion;
        return null;
    }

    /// <summary>The fields each form requires (one name of alternatives written a|b), for the closest-form hint.</summary>
    static readonly (DataForm Form, string[] Required)[] Requirements =
    [
        (DataForm.StandardPair, ["prompt", "chosen", "rejected"]),
        (DataForm.ImplicitPair, ["chosen", "rejected"]),
        (DataForm.Unpaired, ["prompt", "completion", "label"]),
        (DataForm.SftMessages, ["messages"]),
        (DataForm.SftPromptCompletion, ["prompt", "completion"]),
        (DataForm.AlpacaSft, ["instruction", "output"]),
        (DataForm.AlpacaPair, ["instruction", "chosen", "rejected"]),
        (DataForm.AlpacaKto, ["instruction", "output", "kto_tag"]),
        (DataForm.ShareGptSft, ["conversations"]),
        (DataForm.ShareGptPair, ["conversations|messages", "chosen", "rejected"]),
        (DataForm.ShareGptKto, ["conversations|messages", "kto_tag"]),
        (DataForm.RankingPair, ["instruction", "output"]),                      // older; ties go to the current forms
    ];

    /// <summary>
    /// For a row that fits no form: the (up to 3) forms sharing the most fields with it, each with what it lacks, e.g.
    /// "closest: LLaMA-Factory alpaca preference form {...} (missing 'chosen', 'rejected')". Falls back to every form.
    /// </summary>
    public static string Closest(JsonObject row)
    {
        bool Has(string spec) => spec.Split('|').Any(row.ContainsKey);
        var ranked = Requirements
            .Select((r, order) => (r.Form, Present: r.Required.Count(Has), Missing: r.Required.Where(f => !Has(f)).ToArray(), Order: order))
            .Where(r => r.Present > 0)
            .OrderByDescending(r => r.Present).ThenBy(r => r.Missing.Length).ThenBy(r => r.Order)
            .Take(3).ToList();
        if (ranked.Count == 0) return KnownForms;
        return "closest: " + string.Join("; ", ranked.Select(r =>
            $"{Describe(r.Form)} (missing {string.Join(", ", r.Missing.Select(m => $"'{m.Replace("|", "' or '")}'"))})"));
    }

    /// <summary>Standard, conversational and implicit pairs are one family: a row of one in a file of another gets field errors, not a form mismatch.</summary>
    public static bool SameFamily(DataForm a, DataForm b) =>
        a == b || (IsTrlPair(a) && IsTrlPair(b)) || (a is DataForm.RankingPair or DataForm.AlpacaPair && b is DataForm.RankingPair or DataForm.AlpacaPair);

    static bool IsTrlPair(DataForm f) => f is DataForm.StandardPair or DataForm.ConversationalPair or DataForm.ImplicitPair;

    /// <summary>What a form trains: SFT rows, unpaired KTO rows, or preference pairs.</summary>
    public static DataKind KindOf(DataForm form) => form switch
    {
        DataForm.SftMessages or DataForm.SftPromptCompletion or DataForm.AlpacaSft or DataForm.ShareGptSft => DataKind.Sft,
        DataForm.Unpaired or DataForm.AlpacaKto or DataForm.ShareGptKto => DataKind.Unpaired,
        _ => DataKind.Pairs,
    };

    public static string Describe(DataForm form) => form switch
    {
        DataForm.StandardPair => "standard form {prompt, chosen, rejected} with strings",
        DataForm.ConversationalPair => "conversational form {prompt, chosen, rejected} with message lists",
        DataForm.ImplicitPair => "implicit-prompt form {chosen, rejected}",
        DataForm.RankingPair => "LLaMA-Factory ranking form {instruction, input, output: [chosen, rejected]}",
        DataForm.Unpaired => "unpaired KTO form {prompt, completion, label}",
        DataForm.SftMessages => "SFT form {messages}",
        DataForm.SftPromptCompletion => "SFT form {prompt, completion}",
        DataForm.AlpacaSft => "LLaMA-Factory alpaca SFT form {instruction, input, output, system, history}",
        DataForm.AlpacaPair => "LLaMA-Factory alpaca preference form {instruction, input, chosen, rejected, system, history}",
        DataForm.AlpacaKto => "LLaMA-Factory alpaca KTO form {instruction, input, output, kto_tag}",
        DataForm.ShareGptSft => "LLaMA-Factory sharegpt SFT form {conversations: [{from, value}], system, tools}",
        DataForm.ShareGptPair => "LLaMA-Factory sharegpt preference form {conversations, chosen: {from, value}, rejected: {from, value}}",
        DataForm.ShareGptKto => "LLaMA-Factory sharegpt KTO form {conversations, kto_tag}",
        _ => form.ToString(),
    };

    public const string KnownForms =
        "use one of: {prompt, chosen, rejected}; {chosen, rejected}; {prompt, completion, label}; {messages}; {prompt, completion}; " +
        "LLaMA-Factory alpaca {instruction, input, output} / {instruction, input, chosen, rejected} / {instruction, input, output, kto_tag}; " +
        "sharegpt {conversations} / {conversations, chosen, rejected} / {conversations, kto_tag}";

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
            DataForm.AlpacaSft => LlamaFactoryRows.AlpacaSft(origin, row, hint),
            DataForm.AlpacaPair => CheckPair(LlamaFactoryRows.AlpacaPair(origin, row, hint)),
            DataForm.AlpacaKto => LlamaFactoryRows.AlpacaKto(origin, row, hint),
            DataForm.ShareGptSft => LlamaFactoryRows.ShareGptSft(origin, row, hint),
            DataForm.ShareGptPair => CheckPair(LlamaFactoryRows.ShareGptPair(origin, row, hint)),
            DataForm.ShareGptKto => LlamaFactoryRows.ShareGptKto(origin, row, hint),
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
        var output = M.Required(row, "output", hint);
        if (output is not JsonArray pair || pair.Count != 2)
            throw new BadRow("output", DataErrorKind.WrongType, $"expected [chosen, rejected] (a list of 2 strings), found {M.Describe(output)}", "write output as [\"better answer\", \"worse answer\"]");
        var prompt = LlamaFactoryRows.AlpacaPromptSegment(row, hint);
        var chosen = M.String(pair[0] ?? throw new BadRow("output[0]", DataErrorKind.WrongType, "is null", "give the chosen answer"), "output[0]", hint);
        var rejected = M.String(pair[1] ?? throw new BadRow("output[1]", DataErrorKind.WrongType, "is null", "give the rejected answer"), "output[1]", hint);
        return CheckPair(new PreferenceRow(origin, prompt,
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
        return new SftRow(origin, null, Segment.FromMessages(messages) with { Tools = LlamaFactoryRows.Tools(row) });
    }
}
