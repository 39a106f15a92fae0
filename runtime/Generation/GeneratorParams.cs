namespace Toolkit.Runtime.Generation;

/// <summary>
/// What a <see cref="Generator"/> will do, shaped as ORT-GenAI's GeneratorParams: start from the model folder's search
/// defaults, override by name with <see cref="SetSearchOption(string, double)"/>. Names and meanings:
/// <see cref="SearchOptions"/>.
/// </summary>
public sealed class GeneratorParams
{
    /// <summary>The model these parameters are for.</summary>
    public Model Model { get; }

    /// <summary>The options as set so far (validated when a generator is created).</summary>
    public SearchOptions Search { get; set; }

    /// <summary>Parameters with <paramref name="model"/>'s defaults (genai_config.json's search section).</summary>
    public GeneratorParams(Model model)
    {
        Model = model;
        Search = model.DefaultSearch;
    }

    /// <summary>Puts <paramref name="settings"/>' given fields over the current options.</summary>
    public void Apply(DecodingSettings settings) => Search = settings.Over(Search);

    /// <summary>Sets a numeric search option (max_length, min_length, temperature, top_k, top_p, repetition_penalty, random_seed, ...).</summary>
    public void SetSearchOption(string name, double value) => Search = Search.With(name, value);

    /// <summary>Sets a boolean search option (do_sample, past_present_share_buffer).</summary>
    public void SetSearchOption(string name, bool value) => Search = Search.With(name, value ? 1 : 0);

    /// <summary>A numeric search option's value.</summary>
    public double GetSearchNumber(string name) => Search.Get(name);

    /// <summary>A boolean search option's value.</summary>
    public bool GetSearchBool(string name) => Search.Get(name) != 0;

    /// <summary>
    /// Keep each sequence's generated text as tokens arrive (<see cref="Generator.TakeNewText"/>, never half a UTF-8
    /// character, never part of a stop string). On by itself when stop strings are set. Needs the folder's tokenizer.
    /// </summary>
    public bool TrackText { get; set; }

    /// <summary>Ends a sequence when its generated text contains any of <paramref name="stops"/> (not in ORT-GenAI).</summary>
    public void SetStopStrings(params IReadOnlyList<string> stops) => Search = Search with { StopStrings = stops.ToArray() };
}
