using Toolkit.Core.Templates;

namespace Toolkit.Train.Data;

/// <summary>
/// Loss mask for a whole SFT conversation: every assistant turn is trained (its text and what the template writes after
/// it, e.g. <c>&lt;|im_end|&gt;\n</c>), everything else (system, user, tool turns, generation headers) is context.
///
/// Spans are found on the rendered text R of the whole conversation. An assistant turn k starts where the rendering of
/// the messages before it with the generation prompt ends (that text must be a prefix of R). It ends where the
/// rendering of the messages up to and including it ends, when that is a prefix of R (templates that render each turn
/// the same whatever follows: ChatML, Llama-3, ...). Otherwise (Qwen3 renders the last assistant turn with an empty
/// think block that earlier turns lack) the turn ends after its content and the template's end-of-turn text. The text
/// is then tokenized span by span, so span boundaries are exact token boundaries.
/// </summary>
internal sealed class ConversationMasker(SequenceEncoder enc)
{
    public SftExample Mask(IReadOnlyList<ChatMessage> messages, RowOrigin origin, System.Text.Json.Nodes.JsonNode? tools = null)
    {
        var full = enc.Render(messages, false, tools);
        var spans = new List<(int Start, int End)>();
        var previousEnd = 0;
        for (var k = 0; k < messages.Count; k++)
        {
            if (messages[k].Role != "assistant") continue;
            var field = $"messages[{k}]";
            var before = enc.Render(messages.Take(k).ToList(), true, tools);
            if (!full.StartsWith(before, StringComparison.Ordinal) || before.Length < previousEnd)
                throw Mismatch(field);
            var upTo = enc.Render(messages.Take(k + 1).ToList(), false, tools);
            int end;
            if (full.StartsWith(upTo, StringComparison.Ordinal) && upTo.Length > before.Length) end = upTo.Length;
            else
            {
                var content = MessageReader.TextOf(messages[k]).Trim();
                var at = full.IndexOf(content, before.Length, StringComparison.Ordinal);
                var eot = enc.EndOfTurn;
                if (at < 0 || eot.Length == 0) throw Mismatch(field);
                var stop = full.IndexOf(eot.TrimEnd(), at + content.Length, StringComparison.Ordinal);
                if (stop < 0) throw Mismatch(field);
                end = full.AsSpan(stop).StartsWith(eot) ? stop + eot.Length : stop + eot.TrimEnd().Length;
            }
            spans.Add((before.Length, end));
            previousEnd = end;
        }

        var ids = new List<int>();
        var mask = new List<bool>();
        var at0 = 0;
        foreach (var (start, end) in spans)
        {
            Add(full[at0..start], trained: false);
            Add(full[start..end], trained: true);
            at0 = end;
        }
        Add(full[at0..], trained: false);
        return new SftExample([.. ids], [.. mask], origin);

        void Add(string text, bool trained)
        {
            if (text.Length == 0 && ids.Count > 0) return;
            var part = ids.Count == 0 ? enc.EncodePrompt(text) : trained ? enc.EncodeCompletion(text, chat: true) : enc.EncodeContext(text);
            ids.AddRange(part);
            mask.AddRange(Enumerable.Repeat(trained, part.Length));
        }
    }

    static BadRow Mismatch(string field) => new(field, DataErrorKind.TemplateMismatch,
        "the chat template does not render this assistant turn at a stable place in the conversation, so its loss span is undefined",
        "use a template that renders each turn independently of what follows, or split the conversation into prompt/completion rows");
}
