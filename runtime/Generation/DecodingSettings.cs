namespace Toolkit.Runtime.Generation;

/// <summary>
/// Decoding settings as a user gives them (CLI flags, an HTTP request's fields, an IChatClient's ChatOptions): every
/// field optional, null = keep the model folder's default (genai_config.json's <c>search</c> section). The one typed
/// record that travels from the CLI and the HTTP request down to the engine; <see cref="Over"/> resolves it against
/// the folder's <see cref="SearchOptions"/>, which ORT-GenAI then receives by its own option names
/// (<see cref="SearchOptions"/>.ApplyTo), with no dictionary of strings in between. Meanings and ranges: the
/// properties of <see cref="SearchOptions"/> of the same names.
/// </summary>
public sealed record DecodingSettings
{
    /// <summary>max_length: prompt + generated tokens (0 = the context length).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Generated tokens at most per answer (not an ORT-GenAI option).</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>min_length: EOS is blocked until prompt + generated reaches it.</summary>
    public int? MinLength { get; init; }

    /// <summary>do_sample: sample with temperature / top_k / top_p instead of greedy.</summary>
    public bool? DoSample { get; init; }

    /// <summary>temperature (&gt; 0 when sampling).</summary>
    public double? Temperature { get; init; }

    /// <summary>top_k (0 = off, 1 = greedy).</summary>
    public int? TopK { get; init; }

    /// <summary>top_p (0..1; 0 or 1 = off).</summary>
    public double? TopP { get; init; }

    /// <summary>repetition_penalty (&gt; 0; 1 = off).</summary>
    public double? RepetitionPenalty { get; init; }

    /// <summary>random_seed (-1 = a fresh seed per generator).</summary>
    public long? RandomSeed { get; init; }

    /// <summary>Stop strings (replace the defaults' when not null).</summary>
    public IReadOnlyList<string>? StopStrings { get; init; }

    /// <summary><paramref name="defaults"/> with every field given here put over it.</summary>
    public SearchOptions Over(SearchOptions defaults) => defaults with
    {
        MaxLength = MaxLength ?? defaults.MaxLength,
        MaxNewTokens = MaxNewTokens ?? defaults.MaxNewTokens,
        MinLength = MinLength ?? defaults.MinLength,
        DoSample = DoSample ?? defaults.DoSample,
        Temperature = Temperature ?? defaults.Temperature,
        TopK = TopK ?? defaults.TopK,
        TopP = TopP ?? defaults.TopP,
        RepetitionPenalty = RepetitionPenalty ?? defaults.RepetitionPenalty,
        RandomSeed = RandomSeed ?? defaults.RandomSeed,
        StopStrings = StopStrings ?? defaults.StopStrings,
    };

    /// <summary>These settings with <paramref name="other"/>'s given fields put over them (per-call over per-client settings).</summary>
    public DecodingSettings With(DecodingSettings other) => new()
    {
        MaxLength = other.MaxLength ?? MaxLength,
        MaxNewTokens = other.MaxNewTokens ?? MaxNewTokens,
        MinLength = other.MinLength ?? MinLength,
        DoSample = other.DoSample ?? DoSample,
        Temperature = other.Temperature ?? Temperature,
        TopK = other.TopK ?? TopK,
        TopP = other.TopP ?? TopP,
        RepetitionPenalty = other.RepetitionPenalty ?? RepetitionPenalty,
        RandomSeed = other.RandomSeed ?? RandomSeed,
        StopStrings = other.StopStrings ?? StopStrings,
    };
}
