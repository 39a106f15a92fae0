using Toolkit.Train.Training;

namespace Toolkit.Cli.Experiment;

/// <summary>The training objective of one run: `toolkit train METHOD`.</summary>
public enum TrainMethod
{
    /// <summary>Supervised fine-tuning (NLL of the assistant tokens).</summary>
    Sft,
    /// <summary>DPO (Rafailov et al. 2023).</summary>
    Dpo,
    /// <summary>SimPO (Meng et al. 2024).</summary>
    Simpo,
    /// <summary>IPO (Azar et al. 2024).</summary>
    Ipo,
    /// <summary>ORPO (Hong et al. 2024).</summary>
    Orpo,
    /// <summary>KTO (Ethayarajh et al. 2024).</summary>
    Kto,
}

/// <summary>
/// One declared study (experiment.yaml), read by <see cref="StudyReader"/>. Every stage the runner executes is a
/// function of these fields (and the files they name), so the stage hashes are computed from them.
/// </summary>
/// <param name="Name">Experiment name: outputs go under runs/&lt;name&gt;/. Letters, digits, '-', '_', '.'.</param>
/// <param name="Source">Where the study was read from (file path or "embedded:demo.yaml"); shown in the report.</param>
/// <param name="Text">The study's YAML text, verbatim (the report's provenance).</param>
/// <param name="Seed">Seed of the synthetic data and of every training run (a run's own seed option overrides it).</param>
/// <param name="Data">What the models are trained and evaluated on.</param>
/// <param name="Base">The SFT model: an existing checkpoint, or trained here from a tokenizer and the SFT data.</param>
/// <param name="Runs">Preference (or further SFT) runs, each starting from the SFT model; names unique.</param>
/// <param name="Quantize">Quantization variants of the best run (empty: none).</param>
/// <param name="Answers">How held-out answers are generated.</param>
/// <param name="Judges">Which judges run; the rule judge always runs.</param>
/// <param name="Gate">The ship/no-ship decision: best run against SFT.</param>
public sealed record Study(string Name, string Source, string Text, long Seed, DataSpec Data, BaseSpec Base, IReadOnlyList<RunSpec> Runs,
    IReadOnlyList<QuantVariant> Quantize, AnswerSpec Answers, JudgeSpec Judges, GateSpec Gate);

/// <summary>The study's data: the synthetic bilingual task (SFT conversations, preference pairs, held-out questions with rules).</summary>
/// <param name="HeldOutQuestions">Held-out questions answered by every model. 8..200.</param>
/// <param name="SftRows">Synthetic SFT conversations generated. 100..100000.</param>
/// <param name="PairRows">Synthetic preference pairs generated. 100..100000.</param>
public sealed record DataSpec(int HeldOutQuestions = 96, int SftRows = 2000, int PairRows = 2000);

/// <summary>The SFT model every run starts from and every run is compared with.</summary>
/// <param name="Model">An HF checkpoint folder to use as the SFT model as is (no tokenizer or SFT training); null: train it.</param>
/// <param name="Preset">The preset shape trained from scratch when <paramref name="Model"/> is null (e.g. tiny).</param>
/// <param name="VocabSize">Byte-level BPE vocabulary trained on the task's corpus when <paramref name="Model"/> is null.</param>
/// <param name="Options">`toolkit train sft` options by YAML key (TrainOptions' [Option] keys), validated when read.</param>
public sealed record BaseSpec(string? Model, string Preset, int VocabSize, IReadOnlyDictionary<string, string> Options);

/// <summary>One preference run, trained from the SFT model.</summary>
/// <param name="Name">Run name (unique; a folder name).</param>
/// <param name="Method">Objective.</param>
/// <param name="Beta">β of the objective (null: the method's default).</param>
/// <param name="Options">Other `toolkit train METHOD` options by YAML key, validated when read.</param>
public sealed record RunSpec(string Name, TrainMethod Method, double? Beta, IReadOnlyDictionary<string, string> Options);

/// <summary>One quantization of the best run's ONNX export (`toolkit quantize`).</summary>
/// <param name="Name">Variant name (unique; a folder name).</param>
/// <param name="Bits">8 or 4.</param>
/// <param name="Granularity">tensor, channel or block.</param>
/// <param name="BlockSize">Block size for block granularity (16..256, power of two).</param>
public sealed record QuantVariant(string Name, int Bits, Toolkit.Quantize.Granularity Granularity, int BlockSize);

/// <summary>Answer generation (`toolkit evaluate answer`), greedy.</summary>
/// <param name="MaxNewTokens">Tokens per answer at most. 1..4096.</param>
public sealed record AnswerSpec(int MaxNewTokens = 40);

/// <summary>The judges. The rule judge always runs (win rates, gate); the distilled LLM judge runs when enabled.</summary>
/// <param name="Distilled">Distil the rule judge into a small LLM judge (`toolkit evaluate distill-judge`) and report its agreement.</param>
/// <param name="DistillMaxSteps">--max-steps for distill-judge (null: its default).</param>
public sealed record JudgeSpec(bool Distilled = true, int? DistillMaxSteps = null);

/// <summary>The gate (see Toolkit.Evaluate.Gate.GateOptions).</summary>
/// <param name="Margin">Non-inferiority margin δ. 0..0.5.</param>
/// <param name="Confidence">Two-sided level of the bootstrap interval. 0.5..0.999.</param>
/// <param name="Bootstrap">Bootstrap rounds. 100..100000.</param>
public sealed record GateSpec(double Margin = 0.05, double Confidence = 0.95, int Bootstrap = 2000);

/// <summary>Helpers on the enums.</summary>
public static class TrainMethods
{
    /// <summary>The `toolkit train` verb ("dpo").</summary>
    public static string Verb(this TrainMethod m) => m.ToString().ToLowerInvariant();

    /// <summary>The options record whose [Option] keys the method accepts.</summary>
    public static TrainOptions Defaults(this TrainMethod m) => m == TrainMethod.Sft ? new SftOptions() : PreferenceOptions.For(m.Verb());
}
