using System.Globalization;
using Toolkit.Core.Onnx;
using Oga = Microsoft.ML.OnnxRuntimeGenAI;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// Decoding settings, named and defaulted as ORT-GenAI's <c>search</c> section (src/config.h struct Search), plus
/// <see cref="StopStrings"/> and <see cref="MaxNewTokens"/>, which ORT-GenAI does not have. The one typed record from
/// the CLI and the HTTP request down to the engine; <see cref="ApplyTo"/> maps it, once, onto ORT-GenAI's option names. The folder's genai_config.json gives the starting values
/// (<see cref="FromConfig"/>); <see cref="GeneratorParams.SetSearchOption(string, double)"/> overrides them by name.
/// Order in which they act on each step's logits (ORT-GenAI's Generator::GenerateNextToken): min_length, then
/// repetition_penalty, then greedy (do_sample false, or top_k = 1) or sampling with temperature over top_k / top_p.
/// </summary>
public sealed record SearchOptions
{
    /// <summary>max_length: prompt + generated tokens per sequence; 0 = the model's context_length. Range 1..context_length.</summary>
    public int MaxLength { get; init; }

    /// <summary>min_length (default 0): until a sequence (prompt + generated) is this long, every EOS id's logit is set to the lowest float, so EOS cannot be chosen.</summary>
    public int MinLength { get; init; }

    /// <summary>do_sample (default false): false = greedy (argmax, lowest id on ties); true = sample with temperature / top_k / top_p.</summary>
    public bool DoSample { get; init; }

    /// <summary>temperature (default 1.0, must be &gt; 0 when sampling): logits are divided by it before the softmax.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>
    /// top_k (default 50, ≥ 0): sample among the k highest logits. 1 = greedy even when sampling; 0 = no top-k (then
    /// top_p alone). Clamped to the vocabulary size.
    /// </summary>
    public int TopK { get; init; } = 50;

    /// <summary>
    /// top_p (default 0 = off, range 0..1): nucleus sampling, keep the most probable tokens until their probability
    /// sums to ≥ top_p. Combined with top_k &gt; 1 when 0 &lt; top_p &lt; 1 (top-k first, then the nucleus among them);
    /// with top_k = 0 it acts over the whole vocabulary.
    /// </summary>
    public double TopP { get; init; }

    /// <summary>repetition_penalty (default 1.0 = off, &gt; 0): for every distinct token already in the sequence (prompt included), a positive logit is divided by it and a negative one multiplied (CTRL, Keskar et al. 2019, as HF and ORT-GenAI).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>random_seed (default -1 = a fresh seed each generator): the same seed, options and prompts give the same samples.</summary>
    public long RandomSeed { get; init; } = -1;

    /// <summary>max_new_tokens (not an ORT-GenAI option; default 0 = off): a sequence also ends after this many generated tokens.</summary>
    public int MaxNewTokens { get; init; }

    /// <summary>num_beams: only 1 (greedy / sampling) is supported by this engine.</summary>
    public int NumBeams { get; init; } = 1;

    /// <summary>num_return_sequences: only 1 is supported.</summary>
    public int NumReturnSequences { get; init; } = 1;

    /// <summary>no_repeat_ngram_size: only 0 (off) is supported.</summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>
    /// Stop strings (not an ORT-GenAI option): a sequence ends as soon as its generated text contains one of them; the
    /// text returned ends before it (the tokens that formed it stay in the sequence). Empty = none.
    /// </summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>past_present_share_buffer: one KV buffer bound as both past and present (passed to ORT-GenAI only for GroupQueryAttention graphs; standard-op attention cannot write into it).</summary>
    public bool PastPresentShareBuffer { get; init; }

    /// <summary>The names <see cref="GeneratorParams.SetSearchOption(string, double)"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "max_length", "min_length", "do_sample", "temperature", "top_k", "top_p", "repetition_penalty", "random_seed",
        "num_beams", "num_return_sequences", "no_repeat_ngram_size", "past_present_share_buffer", "max_new_tokens",
        // accepted for compatibility, no effect without beam search / batching by options:
        "batch_size", "early_stopping", "length_penalty", "diversity_penalty", "chunk_size",
    ];

    /// <summary>The defaults of a model folder: genai_config.json's search section.</summary>
    public static SearchOptions FromConfig(GenAiSearch s) => new()
    {
        MaxLength = s.MaxLength, MinLength = s.MinLength, DoSample = s.DoSample, Temperature = s.Temperature, TopK = s.TopK,
        TopP = s.TopP, RepetitionPenalty = s.RepetitionPenalty, RandomSeed = s.RandomSeed, NumBeams = s.NumBeams,
        NumReturnSequences = s.NumReturnSequences, NoRepeatNgramSize = s.NoRepeatNgramSize,
        PastPresentShareBuffer = s.PastPresentShareBuffer,
    };

    /// <summary>These options with <paramref name="name"/> set to <paramref name="value"/> (numbers; booleans as 0 / 1).</summary>
    public SearchOptions With(string name, double value) => name switch
    {
        "max_length" => this with { MaxLength = Int(name, value) },
        "min_length" => this with { MinLength = Int(name, value) },
        "do_sample" => this with { DoSample = value != 0 },
        "temperature" => this with { Temperature = value },
        "top_k" => this with { TopK = Int(name, value) },
        "top_p" => this with { TopP = value },
        "repetition_penalty" => this with { RepetitionPenalty = value },
        "random_seed" => this with { RandomSeed = checked((long)value) },
        "num_beams" => this with { NumBeams = Int(name, value) },
        "num_return_sequences" => this with { NumReturnSequences = Int(name, value) },
        "no_repeat_ngram_size" => this with { NoRepeatNgramSize = Int(name, value) },
        "past_present_share_buffer" => this with { PastPresentShareBuffer = value != 0 },
        "max_new_tokens" => this with { MaxNewTokens = Int(name, value) },
        "batch_size" or "early_stopping" or "length_penalty" or "diversity_penalty" or "chunk_size" => this,
        _ => throw new GenerationException(
            $"unknown search option '{name}'. HINT: known options: {string.Join(", ", Names)}"),
    };

    /// <summary>The value of option <paramref name="name"/> as a number (booleans as 0 / 1).</summary>
    public double Get(string name) => name switch
    {
        "max_length" => MaxLength,
        "min_length" => MinLength,
        "do_sample" => DoSample ? 1 : 0,
        "temperature" => Temperature,
        "top_k" => TopK,
        "top_p" => TopP,
        "repetition_penalty" => RepetitionPenalty,
        "random_seed" => RandomSeed,
        "num_beams" => NumBeams,
        "num_return_sequences" => NumReturnSequences,
        "no_repeat_ngram_size" => NoRepeatNgramSize,
        "past_present_share_buffer" => PastPresentShareBuffer ? 1 : 0,
        "max_new_tokens" => MaxNewTokens,
        _ => throw new GenerationException($"unknown search option '{name}'. HINT: known options: {string.Join(", ", Names)}"),
    };

    static int Int(string name, double value) =>
        value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue ? (int)value
        : throw new GenerationException($"search option '{name}' must be a whole number, not {value.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// Checks every option against <paramref name="contextLength"/>; returns the options with max_length resolved
    /// (0 → context_length). Messages name the option and the allowed range.
    /// </summary>
    public SearchOptions Validate(int contextLength)
    {
        var max = MaxLength == 0 ? contextLength : MaxLength;
        if (max < 1 || max > contextLength)
            Fail("max_length", MaxLength, $"1..{contextLength} (the model's context_length), or 0 for context_length");
        if (MinLength < 0 || MinLength > max) Fail("min_length", MinLength, $"0..max_length ({max})");
        if (MaxNewTokens < 0) Fail("max_new_tokens", MaxNewTokens, "≥ 0 (0 = only max_length limits)");
        if (TopK < 0) Fail("top_k", TopK, "≥ 0 (0 = off, 1 = greedy)");
        if (!(TopP >= 0 && TopP <= 1)) Fail("top_p", TopP, "0..1 (0 or 1 = off)");
        if (!(RepetitionPenalty > 0)) Fail("repetition_penalty", RepetitionPenalty, "> 0 (1 = off)");
        if (DoSample && TopK != 1 && !(Temperature > 0)) Fail("temperature", Temperature, "> 0 when do_sample is true (use do_sample = false for greedy)");
        if (NumBeams != 1) Unsupported("num_beams", NumBeams, "beam search is not implemented; use greedy or sampling (num_beams = 1)");
        if (NumReturnSequences != 1) Unsupported("num_return_sequences", NumReturnSequences, "pass the prompt several times instead");
        if (NoRepeatNgramSize != 0) Unsupported("no_repeat_ngram_size", NoRepeatNgramSize, "use repetition_penalty instead");
        foreach (var s in StopStrings)
            if (string.IsNullOrEmpty(s)) throw new GenerationException("a stop string is empty. HINT: remove it; an empty stop string would end every sequence at once");
        return this with { MaxLength = max };
    }

    /// <summary>
    /// Sets these (validated) options on ORT-GenAI's parameters: the one place that knows its search option names.
    /// Our "off" values become its equivalents: top_p 0 (off) is sent as 1.0 (the whole vocabulary), so top_k = 0
    /// with top_p off samples from every token, as documented above.
    /// </summary>
    /// <param name="p">ORT-GenAI's parameters for one generator.</param>
    /// <param name="batchSize">Sequences generated together.</param>
    /// <param name="shareBuffer">The graph can share one KV buffer for past and present (GroupQueryAttention); only then is <see cref="PastPresentShareBuffer"/> passed on.</param>
    /// <param name="vocabSize">The model's vocabulary: top_k is clamped to it.</param>
    internal void ApplyTo(Oga.GeneratorParams p, int batchSize, bool shareBuffer, int vocabSize)
    {
        p.SetSearchOption("max_length", MaxLength);
        p.SetSearchOption("min_length", MinLength);
        p.SetSearchOption("batch_size", batchSize);
        p.SetSearchOption("do_sample", DoSample);
        p.SetSearchOption("temperature", Temperature);
        p.SetSearchOption("top_k", Math.Min(TopK, vocabSize));
        p.SetSearchOption("top_p", TopP > 0 && TopP < 1 ? TopP : 1.0);
        p.SetSearchOption("repetition_penalty", RepetitionPenalty);
        p.SetSearchOption("random_seed", RandomSeed);
        p.SetSearchOption("num_beams", NumBeams);
        p.SetSearchOption("num_return_sequences", NumReturnSequences);
        p.SetSearchOption("past_present_share_buffer", PastPresentShareBuffer && shareBuffer);
    }

    static void Fail(string name, double value, string range) =>
        throw new GenerationException($"search option {name} = {value.ToString(CultureInfo.InvariantCulture)} is out of range. HINT: use {range}");

    static void Unsupported(string name, double value, string hint) =>
        throw new GenerationException($"search option {name} = {value.ToString(CultureInfo.InvariantCulture)} is not supported by this engine. HINT: {hint}");
}
