using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Train.Data;

/// <summary>
/// Rows → token ids. The chat template is applied once: to the prompt with the generation prompt, and to prompt +
/// completion (the completion is the rendered text beyond the prompt). See <see cref="SequenceEncoder"/> for the
/// boundary, BOS and EOS rules. Then: exact dedupe, prompt truncation (<see cref="TokenizeOptions.Truncation"/>), rows whose
/// prompt fills max_length dropped, completions cut to fit. Every drop is counted in the <see cref="DataReport"/> given.
/// </summary>
public sealed class ExampleBuilder
{
    readonly TokenizeOptions _options;
    readonly DataReport _report;
    readonly SequenceEncoder _enc;

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="template">The chat template (needed for message-list data; ignored for plain text).</param>
    /// <param name="options">Lengths, truncation, dedupe.</param>
    /// <param name="report">Where counts go (usually <see cref="DataSet.Report"/>, so one summary covers reading and tokenizing).</param>
    public ExampleBuilder(Tokenizer tokenizer, ChatTemplate? template, TokenizeOptions? options = null, DataReport? report = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _options = options ?? new TokenizeOptions();
        _options.Validate();
        _report = report ?? new DataReport();
        _enc = new SequenceEncoder(tokenizer, template, _options.TemplateVariables, _report);
    }

    /// <summary>The report counts are added to.</summary>
    public DataReport Report => _report;

    /// <summary>Tokenizes preference pairs.</summary>
    public List<PreferenceExample> Pairs(IEnumerable<PreferenceRow> rows)
    {
        var result = new List<PreferenceExample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            Guard(row.Origin, () =>
            {
                var promptText = _enc.PromptText(row.Prompt);
                var chosenText = _enc.CompletionText(row.Prompt, promptText, row.Chosen, "chosen");
                var rejectedText = _enc.CompletionText(row.Prompt, promptText, row.Rejected, "rejected");
                if (_options.Dedupe && !seen.Add(Key(promptText, chosenText, rejectedText))) { _report.Duplicates++; return; }
                var prompt = Prompt(promptText);
                if (prompt == null) return;
                var chosen = Completion(promptText, prompt, chosenText, row.Chosen.IsChat);
                var rejected = Completion(promptText, prompt, rejectedText, row.Rejected.IsChat);
                result.Add(new PreferenceExample(prompt, chosen, rejected, row.Origin));
            });
        }
        _report.Examples += result.Count;
        return result;
    }

    /// <summary>Tokenizes unpaired (KTO) rows.</summary>
    public List<UnpairedExample> Unpaired(IEnumerable<UnpairedRow> rows)
    {
        var result = new List<UnpairedExample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            Guard(row.Origin, () =>
            {
                var promptText = _enc.PromptText(row.Prompt);
                var text = _enc.CompletionText(row.Prompt, promptText, row.Completion, "completion");
                if (_options.Dedupe && !seen.Add(Key(promptText, text, row.Label ? "1" : "0"))) { _report.Duplicates++; return; }
                var prompt = Prompt(promptText);
                if (prompt == null) return;
                result.Add(new UnpairedExample(prompt, Completion(promptText, prompt, text, row.Completion.IsChat), row.Label, row.Origin));
            });
        }
        _report.Examples += result.Count;
        return result;
    }

    /// <summary>Tokenizes SFT rows: prompt/completion (loss on the completion) or conversations (loss on every assistant turn).</summary>
    public List<SftExample> Sft(IEnumerable<SftRow> rows)
    {
        var result = new List<SftExample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            Guard(row.Origin, () =>
            {
                SftExample? ex;
                if (row.Prompt is { } p)
                {
                    var promptText = _enc.PromptText(p);
                    var text = _enc.CompletionText(p, promptText, row.Completion, "completion");
                    if (_options.Dedupe && !seen.Add(Key(promptText, text))) { _report.Duplicates++; return; }
                    var prompt = Prompt(promptText);
                    if (prompt == null) return;
                    var completion = Completion(promptText, prompt, text, row.Completion.IsChat);
                    ex = new SftExample([.. prompt, .. completion], [.. new bool[prompt.Length], .. Enumerable.Repeat(true, completion.Length)], row.Origin);
                }
                else
                {
                    ex = new ConversationMasker(_enc).Mask(row.Completion.Messages!, row.Origin, row.Completion.Tools);
                    if (_options.Dedupe && !seen.Add(string.Join(",", ex.InputIds))) { _report.Duplicates++; return; }
                    ex = CutConversation(ex);
                }
                if (ex != null) result.Add(ex);
            });
        }
        _report.Examples += result.Count;
        return result;
    }

    /// <summary>Tokenizes whatever <paramref name="set"/> holds, adding to its report when this builder was made with it.</summary>
    public (List<PreferenceExample> Pairs, List<UnpairedExample> Unpaired, List<SftExample> Sft) All(DataSet set) =>
        (Pairs(set.Pairs), Unpaired(set.Unpaired), Sft(set.Sft));

    void Guard(RowOrigin origin, Action body)
    {
        try
        {
            body();
        }
        catch (BadRow bad)
        {
            var error = bad.At(origin);
            if (_options.OnBadRow == OnBadRow.Fail) throw new DataException(error);
            _report.Add(error);
        }
    }

    static string Key(params string[] parts) => string.Join("\u0000", parts);

    /// <summary>Prompt ids after max_prompt_length; null (and counted) when the prompt fills max_length.</summary>
    int[]? Prompt(string text)
    {
        var ids = _enc.EncodePrompt(text);
        if (_options.MaxPromptLength is { } maxP && ids.Length > maxP)
        {
            _report.TruncatedPrompts++;
            if (_options.Truncation == TruncationMode.KeepStart) ids = ids[..maxP];
            else
            {
                var keepFirst = ids[0] == _enc.BosId ? 1 : 0;   // the BOS stays first
                ids = [.. ids[..keepFirst], .. ids[^(maxP - keepFirst)..]];
            }
        }
        if (_options.MaxLength is { } max && ids.Length >= max) { _report.DroppedPromptTooLong++; return null; }
        return ids;
    }

    int[] Completion(string promptText, int[] promptIds, string text, bool chat)
    {
        var ids = _enc.EncodeCompletion(text, chat);
        _enc.CheckBoundary(promptText, text, promptIds, ids);
        if (_options.MaxLength is { } max && promptIds.Length + ids.Length > max)
        {
            _report.TruncatedCompletions++;
            ids = ids[..(max - promptIds.Length)];
        }
        return ids;
    }

    SftExample? CutConversation(SftExample ex)
    {
        if (_options.MaxLength is not { } max || ex.InputIds.Length <= max) return ex;
        var cut = new SftExample(ex.InputIds[..max], ex.LossMask[..max], ex.Origin);
        if (!cut.LossMask.Contains(true)) { _report.DroppedPromptTooLong++; return null; }
        _report.TruncatedCompletions++;
        return cut;
    }
}
