namespace Toolkit.Train.Lora;

/// <summary>
/// LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022, eq. 3): a frozen projection W
/// (out, in) gains a trainable low-rank update, h = W·x + (alpha/r)·B·A·dropout(x), with A (r, in) and B (out, r).
/// Field names and defaults follow PEFT's <c>LoraConfig</c> (JSON names in each doc), with the defaults
/// LLaMA-Factory and TRL recipes use for a decoder (r 8, alpha 16, dropout 0.05, every attention and MLP projection).
/// </summary>
public sealed record LoraConfig
{
    /// <summary>Module names of a Llama-family decoder layer that take adapters by default (PEFT "all-linear" minus lm_head).</summary>
    public static readonly IReadOnlyList<string> DecoderLinears = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>The PEFT wildcard for every linear layer except the output layer (lm_head).</summary>
    public const string AllLinear = "all-linear";

    /// <summary>r: rank of the update. Default 8; ≥ 1. Trainable parameters per module: r·(in + out).</summary>
    public int R { get; init; } = 8;

    /// <summary>lora_alpha: the update is scaled by alpha/r (alpha/√r with <see cref="UseRsLora"/>). Default 16; &gt; 0.
    /// Raising r at fixed alpha shrinks each direction's step; keep alpha ≈ 2·r as a starting point.</summary>
    public double Alpha { get; init; } = 16;

    /// <summary>lora_dropout: dropout on the adapter's input during training (the base path never sees it).
    /// Default 0.05; in [0, 1). Off whenever <see cref="LoraAdapters.Training"/> is false.</summary>
    public double Dropout { get; init; } = 0.05;

    /// <summary>
    /// target_modules: which projections take adapters. Each entry matches a module whose full name equals it or ends with
    /// "." + it (PEFT's rule), so "q_proj" selects every layer's q_proj and "model.layers.0.mlp.up_proj" only one.
    /// "all-linear" (alone) means q/k/v/o and gate/up/down; "lm_head" may be added when the head is not tied to the
    /// embedding. Default: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.
    /// </summary>
    public IReadOnlyList<string> TargetModules { get; init; } = DecoderLinears;

    /// <summary>
    /// target_modules given as one string other than "all-linear": a regular expression that must match a module's whole
    /// name (PEFT's <c>re.fullmatch</c>). Default null; when set, <see cref="TargetModules"/> is ignored.
    /// </summary>
    public string? TargetModulesRegex { get; init; }

    /// <summary>use_rslora: scale by alpha/√r (Kalajdzievski 2023, rank-stabilized LoRA) instead of alpha/r. Default false.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>base_model_name_or_path written to adapter_config.json (where the base model came from). Default null.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>The factor applied to B·A: alpha/r, or alpha/√r with <see cref="UseRsLora"/>.</summary>
    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(R) : Alpha / R;

    /// <summary>Checks every field; messages name the field and say what to do.</summary>
    public void Validate()
    {
        if (R < 1) throw new ArgumentException($"LoRA r is {R}; it must be ≥ 1. HINT: 8 or 16 are usual ranks for a decoder");
        if (!double.IsFinite(Alpha) || Alpha <= 0)
            throw new ArgumentException($"LoRA alpha is {Alpha}; it must be a positive number. HINT: 2·r (here {2 * Math.Max(R, 1)}) is a common choice");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentException($"LoRA dropout is {Dropout}; it must be in [0, 1). HINT: 0.05 is the usual value, 0 disables it");
        if (TargetModulesRegex is not null)
        {
            if (TargetModulesRegex.Length == 0) throw new ArgumentException("LoRA target_modules regex is empty. HINT: give a pattern or a list of module names");
            try { _ = new System.Text.RegularExpressions.Regex(TargetModulesRegex); }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"LoRA target_modules regex '{TargetModulesRegex}' does not parse: {e.Message}. HINT: fix the pattern or give a list of names", e);
            }
            return;
        }
        if (TargetModules.Count == 0)
            throw new ArgumentException($"LoRA target_modules is empty. HINT: name the projections to adapt, e.g. {string.Join(",", DecoderLinears)}, or '{AllLinear}'");
        foreach (var m in TargetModules)
            if (string.IsNullOrWhiteSpace(m) || m.Trim() != m || m.StartsWith('.') || m.EndsWith('.'))
                throw new ArgumentException($"LoRA target_modules entry '{m}' is not a module name. HINT: use names like q_proj or model.layers.0.mlp.up_proj");
        if (TargetModules.Contains(AllLinear) && TargetModules.Count > 1)
            throw new ArgumentException($"LoRA target_modules mixes '{AllLinear}' with names ({string.Join(", ", TargetModules)}). " +
                $"HINT: give '{AllLinear}' alone, or list every module (add lm_head to the list to adapt the output layer too)");
    }
}
