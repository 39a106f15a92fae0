using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Train.Data;

/// <summary>
/// Renders and tokenizes prompts and completions with an exact boundary.
///
/// Boundary rule (the BPE-merge-at-boundary trap, trl#1960 / #2054): the prompt text and the completion text are
/// tokenized SEPARATELY and concatenated (LLaMA-Factory's choice), not cut out of a joint tokenization (TRL's choice).
/// Why: the prompt ids are then exactly the ids the model is fed at generation time (the prompt is always tokenized
/// alone there), the boundary is exact by construction, and decode(prompt) + decode(completion) is the rendered text for
/// byte-level tokenizers. How often a joint tokenization would have merged across the boundary is counted
/// (<see cref="DataReport.BoundaryMerges"/>) so the effect is visible.
///
/// BOS rule: texts are encoded without the post-processor; when the tokenizer's post-processor would add a BOS, one BOS
/// is put first unless the rendered prompt already begins with it (templates that emit <c>{{ bos_token }}</c>), and
/// repeated leading BOS ids are collapsed to one. EOS rule: a plain-text completion gets the tokenizer's EOS appended; a
/// chat completion keeps what the template emits after the answer (e.g. <c>&lt;|im_end|&gt;\n</c>) and gets the EOS
/// appended only when it holds neither the EOS nor another special token (no end-of-turn).
/// </summary>
internal sealed class SequenceEncoder
{
    readonly Tokenizer _tok;
    readonly ChatTemplate? _template;
    readonly IDictionary<string, object?>? _vars;
    readonly int? _bos, _eos;
    readonly bool _addsBos;
    readonly DataReport _report;
    string? _endOfTurn;

    public SequenceEncoder(Tokenizer tokenizer, ChatTemplate? template, IDictionary<string, object?>? variables, DataReport report)
    {
        _tok = tokenizer;
        _template = template;
        _vars = variables;
        _report = report;
        _bos = tokenizer.BosId;
        _eos = tokenizer.EosId;
        _addsBos = _bos is { } b && tokenizer.Encode("", addSpecialTokens: true).Contains(b);
    }

    /// <summary>The tokenizer's BOS id, or null.</summary>
    public int? BosId => _bos;

    ChatTemplate Template => _template ?? throw new InvalidOperationException(
        "the data is conversational (message lists) but no chat template was given. HINT: pass ChatTemplate.FromTokenizerConfig(<model>/tokenizer_config.json), or ChatTemplate.Parse(ChatTemplate.TinyPresetSource) for the tiny preset");

    /// <summary>Renders <paramref name="messages"/> with the template variables, plus <paramref name="tools"/> (a JSON list) as <c>tools</c> when given.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool generationPrompt, System.Text.Json.Nodes.JsonNode? tools = null)
    {
        if (tools is null) return Template.Render(messages, generationPrompt, _vars);
        var vars = new Dictionary<string, object?>(_vars ?? new Dictionary<string, object?>()) { ["tools"] = tools };
        return Template.Render(messages, generationPrompt, vars);
    }

    /// <summary>The prompt text: the template with the generation prompt (and the row's tools), or the plain text.</summary>
    public string PromptText(Segment prompt) => prompt.IsChat ? Render(prompt.Messages!, true, prompt.Tools) : prompt.Text!;

    /// <summary>The completion text: what the template renders for prompt + completion beyond the prompt alone.</summary>
    public string CompletionText(Segment prompt, string promptText, Segment completion, string field)
    {
        if (!completion.IsChat) return completion.Text!;
        var full = Render([.. prompt.Messages!, .. completion.Messages!], false, prompt.Tools);
        if (!full.StartsWith(promptText, StringComparison.Ordinal))
            throw new BadRow(field, DataErrorKind.TemplateMismatch,
                "the chat template renders the prompt (with the generation prompt) differently from the start of prompt + answer, so the boundary is undefined",
                "use a template whose generation prompt is the start of the assistant turn (pass enable_thinking or similar through TemplateVariables), or give plain-text prompt/completion");
        return full[promptText.Length..];
    }

    public int[] EncodePrompt(string text)
    {
        var ids = new List<int>(_tok.Encode(text, addSpecialTokens: false));
        if (_bos is { } bos)
        {
            while (ids.Count >= 2 && ids[0] == bos && ids[1] == bos) ids.RemoveAt(0);
            if (_addsBos && (ids.Count == 0 || ids[0] != bos)) ids.Insert(0, bos);
        }
        return [.. ids];
    }

    /// <summary>Context text inside a sequence (no BOS, no EOS).</summary>
    public int[] EncodeContext(string text) => _tok.Encode(text, addSpecialTokens: false);

    public int[] EncodeCompletion(string text, bool chat)
    {
        var ids = _tok.Encode(text, addSpecialTokens: false);
        if (_eos is not { } eos) return ids;
        var terminated = chat ? ids.Any(i => i == eos || _tok.IsSpecial(i)) : ids.Length > 0 && ids[^1] == eos;
        if (terminated) return ids;
        _report.EosAppended++;
        return [.. ids, eos];
    }

    /// <summary>Counts a boundary merge when the joint tokenization differs from prompt ++ completion.</summary>
    public void CheckBoundary(string promptText, string completionText, int[] promptIds, int[] completionIds)
    {
        var joint = _tok.Encode(promptText + completionText, addSpecialTokens: false);
        var skip = _addsBos && promptIds.Length > 0 && promptIds[0] == _bos && (joint.Length == 0 || joint[0] != _bos) ? 1 : 0;
        var n = promptIds.Length - skip;
        var same = joint.Length >= n && joint.AsSpan(0, n).SequenceEqual(promptIds.AsSpan(skip))
                   && joint.AsSpan(n).SequenceEqual(completionIds.AsSpan(0, Math.Min(completionIds.Length, joint.Length - n)));
        if (!same) _report.BoundaryMerges++;
    }

    /// <summary>What the template writes after an assistant answer (e.g. "&lt;|im_end|&gt;\n"), found with a probe conversation.</summary>
    public string EndOfTurn
    {
        get
        {
            if (_endOfTurn != null) return _endOfTurn;
            const string marker = "\u2063probe-answer\u2063";
            var text = Render([ChatMessage.User("q"), ChatMessage.Assistant(marker)], false);
            var at = text.IndexOf(marker, StringComparison.Ordinal);
            return _endOfTurn = at < 0 ? "" : text[(at + marker.Length)..];
        }
    }
}
