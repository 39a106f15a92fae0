using Toolkit.Core.Options;
namespace Toolkit.Quantize.Report;

/// <summary>
/// Options of <c>toolkit quantize report</c>. Each property's words live in its <see cref="OptionAttribute"/>, which
/// the CLI help prints. Call <see cref="Validate"/> first.
/// </summary>
public sealed record ReportOptions
{
    /// <summary>The fp32 (or fp16) reference folder.</summary>
    [Option("reference", "The unquantized export every variant is compared with (its tokenizer.json tokenizes --text). Required.")]
    public string? Reference { get; init; }

    /// <summary>Quantized folders to compare.</summary>
    [Option("variants", "Quantized folders (positional arguments). With --sweep, the sweep's folders are added.")]
    public IReadOnlyList<string> Variants { get; init; } = [];

    /// <summary>Held-out text.</summary>
    [Option("text", "Held-out text for perplexity, KL and top-1 agreement: a text file (one sample a line) or .jsonl (\"text\", or the string fields). Keep it out of --calibration. Required.")]
    public string? Text { get; init; }

    /// <summary>Samples scored.</summary>
    [Option("samples", "Samples of --text scored (each cut to --max-tokens). Default 64; range 1..100000.")]
    public int Samples { get; init; } = 64;

    /// <summary>Tokens per sample.</summary>
    [Option("max_tokens", "Tokens per scored sample (longer ones are cut). Default 256; range 2..context length.")]
    public int MaxTokens { get; init; } = 256;

    /// <summary>Prompts for greedy match and speed.</summary>
    [Option("prompts", "Prompts (the first half, up to 32 tokens, of the first samples) generated greedily by every folder in ORT-GenAI: greedy-sequence match rate, prefill and decode tok/s. Default 8; range 1..1000.")]
    public int Prompts { get; init; } = 8;

    /// <summary>New tokens per prompt.</summary>
    [Option("new_tokens", "Tokens generated per prompt. Default 32; range 1..4096.")]
    public int NewTokens { get; init; } = 32;

    /// <summary>Report folder.</summary>
    [Option("out", "Folder for report.csv, report.md and report.html (and, with --sweep, variants/<name>/ folders). Default quantize-report.")]
    public string Out { get; init; } = "quantize-report";

    /// <summary>Run the usual grid.</summary>
    [Option("sweep", "Quantize the reference with the usual grid first (int8 tensor/channel; int4 tensor/channel/block 32/64/128, RTN; and GPTQ int4 block 32/128 when --calibration is given) into --out/variants/, then report on all. Default off.")]
    public bool Sweep { get; init; }

    /// <summary>Calibration text for the sweep's GPTQ variants.</summary>
    [Option("calibration", "Calibration text for the sweep's GPTQ variants (see `quantize --calibration`). Default none: the sweep is RTN only.")]
    public string? Calibration { get; init; }

    /// <summary>Calibration samples for the sweep's GPTQ variants.</summary>
    [Option("calibration_samples", "Samples read from --calibration for the sweep's GPTQ variants. Default 32; range 1..4096.")]
    public int CalibrationSamples { get; init; } = 32;

    /// <summary>CI gate.</summary>
    [Option("max_delta_ppl", "Exit non-zero when any variant's perplexity is more than this many percent above the reference's (e.g. 3 = 3%). Default none (no gate).")]
    public double? MaxDeltaPpl { get; init; }

    /// <summary>Threads.</summary>
    [Option("threads", "Intra-op threads for scoring (0 = one per core). Default 0.")]
    public int Threads { get; init; }

    /// <summary>Throws a <see cref="QuantizeException"/> naming the option and what to do.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Reference)) throw new QuantizeException("--reference is required: the unquantized export to compare with");
        if (string.IsNullOrWhiteSpace(Text)) throw new QuantizeException("--text is required: held-out text (one sample a line, or .jsonl)");
        if (Variants.Count == 0 && !Sweep) throw new QuantizeException("nothing to compare: pass quantized folders after the options, or --sweep");
        if (Samples is < 1 or > 100000) throw new QuantizeException($"--samples {Samples}: use 1..100000");
        if (MaxTokens < 2) throw new QuantizeException($"--max-tokens {MaxTokens}: use at least 2");
        if (Prompts is < 1 or > 1000) throw new QuantizeException($"--prompts {Prompts}: use 1..1000");
        if (NewTokens is < 1 or > 4096) throw new QuantizeException($"--new-tokens {NewTokens}: use 1..4096");
        if (MaxDeltaPpl is < 0) throw new QuantizeException($"--max-delta-ppl {MaxDeltaPpl}: use a percentage ≥ 0");
    }
}
