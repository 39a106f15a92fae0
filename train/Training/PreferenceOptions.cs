using Toolkit.Core.Options;
using Toolkit.Train.Losses;

namespace Toolkit.Train.Training;

/// <summary>
/// `toolkit train dpo|simpo|ipo|orpo|kto`: preference optimization. The command picks the default objective and β
/// (<see cref="For"/>); loss_type can name several objectives summed with loss_weights (e.g. <c>sigmoid,sft</c> = RPO).
/// </summary>
public sealed record PreferenceOptions : TrainOptions
{
    /// <summary>The commands of this family.</summary>
    public static readonly IReadOnlyList<string> Commands = ["dpo", "simpo", "ipo", "orpo", "kto"];

    /// <summary>Which command these options are for.</summary>
    public string Kind { get; init; } = "dpo";

    /// <inheritdoc/>
    public override string Command => Kind;

    /// <summary>β.</summary>
    [Option("beta", "β, the strength of the KL anchor to the reference. Default 0.1 (dpo, ipo, kto, orpo's λ), 2.0 for simpo (paper range 2–10). DPO: rewards are β·log(π/π_ref), typical 0.01–0.5 (Zephyr used 0.01). IPO: τ, the target margin is 1/(2τ). ORPO: λ, the odds-ratio weight (paper 0.1).",
        Aliases = ["--pref-beta"])]
    public double Beta { get; init; } = 0.1;

    /// <summary>Objectives.</summary>
    [Option("loss_type", "Objective(s), comma-separated and summed with loss_weights: sigmoid (DPO, Rafailov et al. 2023), robust (rDPO, Chowdhury et al. 2024), hinge (SLiC / RSO), ipo (Azar et al. 2024, length-normalized as TRL), simpo (Meng et al. 2024, no reference), orpo (Hong et al. 2024, no reference), kto (Ethayarajh et al. 2024, unpaired data, alone), sft (NLL of chosen; sigmoid,sft = RPO). Default: the command's own (dpo → sigmoid).",
        Aliases = ["--pref-loss"])]
    public string LossType { get; init; } = "sigmoid";

    /// <summary>Weights of the objectives.</summary>
    [Option("loss_weights", "One weight per loss_type entry, comma-separated, e.g. 1,0.2. Default 1 each.")]
    public string? LossWeights { get; init; }

    /// <summary>Label-smoothing ε.</summary>
    [Option("label_smoothing", "ε, the assumed preference-flip probability: cDPO with sigmoid, rDPO with robust (paper 0.1), smoothing for simpo. Default 0. Range [0, 0.5).",
        Aliases = ["--dpo-label-smoothing"])]
    public double LabelSmoothing { get; init; }

    /// <summary>SimPO γ.</summary>
    [Option("simpo_gamma", "SimPO's target reward margin γ (absolute, as TRL's simpo_gamma; the SimPO repo's gamma_beta_ratio = γ/β). Default 0.5. Read only by simpo.")]
    public double SimpoGamma { get; init; } = 0.5;

    /// <summary>RPO NLL weight.</summary>
    [Option("rpo_alpha", "Adds the chosen NLL ('sft') to the objectives with this weight (RPO, Pang et al. 2024; paper 1.0). Default none. Same as listing sft in loss_type with its weight.")]
    public double? RpoAlpha { get; init; }

    /// <summary>Sum or mean of log-probs.</summary>
    [Option("logprob_reduction", "sum or mean of the completion log-probs. Default: each loss's paper (sum for DPO/hinge/robust/KTO, mean for SimPO/ORPO; IPO's loss is always mean). mean with sigmoid is length-normalized DPO (TRL sigmoid_norm).")]
    public LogProbReduction? LogprobReduction { get; init; }

    /// <summary>Separate reference checkpoint.</summary>
    [Option("ref_model", "Reference checkpoint folder. Default: the starting model itself (--model, or --preset with --seed), kept as a frozen copy. Not read by simpo and orpo (no reference).")]
    public string? RefModel { get; init; }

    /// <summary>Precompute reference log-probs.</summary>
    [Option("precompute_ref_log_probs", "Run the reference once over train and validation data, cache the log-probs on disk (output_dir/ref_logps/, keyed by a hash of the tokenized data and of the reference weights), then train with one model in memory. Default false. Not with kto (its reference point pairs examples by batch); eval_kl needs the live reference and is not logged then.")]
    public bool PrecomputeRefLogProbs { get; init; }

    /// <summary>Batch size of the precompute pass.</summary>
    [Option("precompute_ref_batch_size", "Pairs per forward of the precompute pass (no gradient, so larger fits). Default: per_device_eval_batch_size.")]
    public int? PrecomputeRefBatchSize { get; init; }

    /// <summary>Shared-prompt packing.</summary>
    [Option("shared_prompt", "Put prompt + chosen + rejected in one row (the rejected tokens cannot see the chosen ones; positions restart after the prompt), so the prompt is computed once. Same log-probs as two separate rows. Default true. false = the concatenated 2B-row layout TRL uses.")]
    public bool SharedPrompt { get; init; } = true;

    /// <summary>KTO desirable weight.</summary>
    [Option("desirable_weight", "KTO λ_D, weight of desirable examples. Default 1. Keep λ_D·n_D / (λ_U·n_U) in [1, 4/3] (KTO paper Eq. 8).",
        Aliases = ["--kto-chosen-weight"])]
    public double DesirableWeight { get; init; } = 1.0;

    /// <summary>KTO undesirable weight.</summary>
    [Option("undesirable_weight", "KTO λ_U, weight of undesirable examples. Default 1.",
        Aliases = ["--kto-rejected-weight"])]
    public double UndesirableWeight { get; init; } = 1.0;

    /// <summary>The defaults of command <paramref name="kind"/> (dpo, simpo, ipo, orpo, kto).</summary>
    public static PreferenceOptions For(string kind) => kind switch
    {
        "dpo" => new PreferenceOptions { Kind = kind, LossType = "sigmoid" },
        "simpo" => new PreferenceOptions { Kind = kind, LossType = "simpo", Beta = 2.0 },
        "ipo" => new PreferenceOptions { Kind = kind, LossType = "ipo" },
        "orpo" => new PreferenceOptions { Kind = kind, LossType = "orpo" },
        "kto" => new PreferenceOptions { Kind = kind, LossType = "kto" },
        _ => throw new ArgumentException($"unknown preference command '{kind}'; use one of {string.Join(", ", Commands)}"),
    };

    /// <summary>The loss configuration these options describe (validated).</summary>
    public LossOptions ToLossOptions()
    {
        var names = LossType.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var types = names.Select(ParseLoss).ToList();
        List<double>? weights = LossWeights is null ? null
            : [.. LossWeights.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(w =>
                double.TryParse(w, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
                    : throw new ArgumentException($"loss_weights '{LossWeights}': '{w}' is not a number; give comma-separated numbers, e.g. 1,0.2"))];
        if (RpoAlpha is { } alpha)
        {
            if (types.Contains(Losses.LossType.Sft)) throw new ArgumentException("rpo_alpha and 'sft' in loss_type both add the NLL term: use one of them");
            weights ??= [.. types.Select(_ => 1.0)];
            types.Add(Losses.LossType.Sft);
            weights.Add(alpha);
        }
        var reduction = LogprobReduction;
        return new LossOptions
        {
            Losses = types, Weights = weights, Beta = Beta, LabelSmoothing = LabelSmoothing, SimpoGamma = SimpoGamma,
            Reduction = reduction, DesirableWeight = DesirableWeight, UndesirableWeight = UndesirableWeight,
        }.Validate();
    }

    static Losses.LossType ParseLoss(string name) => name switch
    {
        "sigmoid" => Losses.LossType.Sigmoid,
        "robust" => Losses.LossType.Robust,
        "hinge" => Losses.LossType.Hinge,
        "ipo" => Losses.LossType.Ipo,
        "simpo" => Losses.LossType.SimPO,
        "orpo" => Losses.LossType.Orpo,
        "kto" => Losses.LossType.Kto,
        "sft" => Losses.LossType.Sft,
        _ => throw new ArgumentException($"loss_type '{name}' is not known; use sigmoid, robust, hinge, ipo, simpo, orpo, kto or sft (comma-separated to combine)"),
    };

    /// <summary>True when the objectives read unpaired (KTO) data.</summary>
    public bool IsKto => ToLossOptions().Losses.Contains(Losses.LossType.Kto);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (!Commands.Contains(Kind)) throw new ArgumentException($"unknown preference command '{Kind}'; use one of {string.Join(", ", Commands)}");
        var loss = ToLossOptions();
        if (PrecomputeRefLogProbs && loss.Losses.Contains(Losses.LossType.Kto))
            throw new ArgumentException("precompute_ref_log_probs is not available for kto (its KL reference point pairs examples within each batch); drop the flag to keep a frozen reference copy");
        if (PrecomputeRefLogProbs && !loss.NeedsReference)
            throw new ArgumentException($"precompute_ref_log_probs with loss_type {LossType}: these objectives use no reference model; drop the flag");
        if (PrecomputeRefBatchSize is < 1) throw new ArgumentException($"precompute_ref_batch_size {PrecomputeRefBatchSize} must be ≥ 1");
        if (RefModel is not null && !Directory.Exists(RefModel)) throw new ArgumentException($"ref_model '{RefModel}' is not a folder; give an HF checkpoint folder");
        if (loss.Losses.Contains(Losses.LossType.Kto) && PerDeviceTrainBatchSize < 2)
            throw new ArgumentException("kto needs per_device_train_batch_size ≥ 2 (its KL reference point pairs each prompt with another example's completion)");
    }
}
