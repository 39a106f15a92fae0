namespace Toolkit.Train.Data;

/// <summary>
/// A tokenized preference pair. <see cref="PromptIds"/> (P) start with the model's BOS when it uses one (exactly once);
/// <see cref="ChosenIds"/> (C) and <see cref="RejectedIds"/> (R) are the completion ids only, ending with the trained
/// end-of-turn / EOS token unless truncated. The full chosen sequence is PromptIds ++ ChosenIds.
/// </summary>
public sealed record PreferenceExample(int[] PromptIds, int[] ChosenIds, int[] RejectedIds, RowOrigin Origin);

/// <summary>A tokenized unpaired (KTO) example: prompt ids, completion ids, and whether the completion is desirable.</summary>
public sealed record UnpairedExample(int[] PromptIds, int[] CompletionIds, bool Label, RowOrigin Origin);

/// <summary>
/// A tokenized SFT example: the whole sequence (T) and its loss mask (T), true on the tokens the loss trains (the
/// completion, or every assistant turn of a conversation, including each turn's end-of-turn token). The mask is aligned
/// with the ids: the logits at t-1 predict <c>InputIds[t]</c>, trained where <c>LossMask[t]</c>.
/// </summary>
public sealed record SftExample(int[] InputIds, bool[] LossMask, RowOrigin Origin);

/// <summary>How the prompt is cut to <see cref="TokenizeOptions.MaxPromptLength"/>.</summary>
public enum TruncationMode
{
    /// <summary>Keep the end of the prompt (the last turns and the generation header the answer follows); the BOS stays first. Default.</summary>
    KeepEnd,
    /// <summary>Keep the start of the prompt (TRL's keep_start); the generation header at the end may be cut off.</summary>
    KeepStart,
}

/// <summary>Options of <see cref="ExampleBuilder"/>.</summary>
public sealed record TokenizeOptions
{
    /// <summary>Most tokens of prompt + completion (per chosen / rejected sequence). Default 1024 (TRL's max_length); null = no limit.
    /// Completions are cut to fit; rows whose prompt alone fills it are dropped and counted.</summary>
    public int? MaxLength { get; init; } = 1024;

    /// <summary>Most prompt tokens, cut by <see cref="Truncation"/>. Default null (no prompt limit; TRL ≤ 0.28's default was 512).
    /// Not used for SFT conversations (<see cref="DataForm.SftMessages"/>), which are cut at the end to <see cref="MaxLength"/>.</summary>
    public int? MaxPromptLength { get; init; }

    /// <summary>Which end of an over-long prompt is kept. Default <see cref="TruncationMode.KeepEnd"/>.</summary>
    public TruncationMode Truncation { get; init; } = TruncationMode.KeepEnd;

    /// <summary>Remove exact duplicates (same rendered prompt and completions, and label for KTO); the first copy is kept. Default true.</summary>
    public bool Dedupe { get; init; } = true;

    /// <summary>Extra template variables (e.g. <c>enable_thinking</c>), passed to every render.</summary>
    public IDictionary<string, object?>? TemplateVariables { get; init; }

    /// <summary>What to do with a row the chat template cannot split at the prompt/completion boundary. Default skip (and count).</summary>
    public OnBadRow OnBadRow { get; init; } = OnBadRow.Skip;

    /// <summary>Checks the ranges; the message says what to change.</summary>
    public void Validate()
    {
        if (MaxLength is < 2) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "max_length must be at least 2 (a prompt token and a completion token), or null for no limit");
        if (MaxPromptLength is < 1) throw new ArgumentOutOfRangeException(nameof(MaxPromptLength), MaxPromptLength, "max_prompt_length must be at least 1, or null for no limit");
        if (MaxPromptLength >= MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxPromptLength), MaxPromptLength, $"max_prompt_length ({MaxPromptLength}) must be below max_length ({MaxLength}) to leave room for the completion");
    }
}
