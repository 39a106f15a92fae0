namespace Toolkit.Train.Losses;

/// <summary>The training objectives. Each is one branch of <see cref="PreferenceLoss"/> (or <see cref="KtoLoss"/>), citing its paper.</summary>
public enum LossType
{
    /// <summary>Masked NLL of the chosen (or SFT) completion tokens, token-mean over the batch. With a preference loss: RPO.</summary>
    Sft,
    /// <summary>DPO, −log σ(β Δ) (Rafailov et al. 2023); with <see cref="LossOptions.LabelSmoothing"/> &gt; 0 it is cDPO.</summary>
    Sigmoid,
    /// <summary>Robust DPO, unbiased under preference-label flips with probability ε (Chowdhury et al. 2024).</summary>
    Robust,
    /// <summary>Hinge, relu(1 − β Δ) (SLiC-HF, Zhao et al. 2023; RSO, Liu et al. 2024).</summary>
    Hinge,
    /// <summary>IPO, (Δ̄ − 1/(2β))² on length-normalized log-ratios (Azar et al. 2024; TRL PR #1265).</summary>
    Ipo,
    /// <summary>SimPO, −log σ(β(p̄_c − p̄_r) − γ), no reference (Meng et al. 2024).</summary>
    SimPO,
    /// <summary>ORPO, NLL − λ·log σ(log-odds ratio), no reference (Hong et al. 2024).</summary>
    Orpo,
    /// <summary>KTO, unpaired desirable/undesirable examples against a KL reference point (Ethayarajh et al. 2024).</summary>
    Kto,
}

/// <summary>
/// The loss configuration: which objectives, their weights and their hyper-parameters. One record for every loss; each
/// property says which losses read it. Call <see cref="Validate"/> before use (the loss functions do).
/// </summary>
public sealed record LossOptions
{
    /// <summary>
    /// Objectives summed into the loss, each times its weight in <see cref="Weights"/>. Default [Sigmoid] (DPO).
    /// Examples: [Sigmoid, Sft] with weights [1, 1] is RPO (Pang et al. 2024); [SimPO, Sft] is CPO-SimPO.
    /// Interactions: <see cref="LossType.Kto"/> reads unpaired data and must be alone; <see cref="LossType.Orpo"/> already
    /// contains the NLL term, so adding Sft counts it twice (allowed, but rarely meant).
    /// </summary>
    public IReadOnlyList<LossType> Losses { get; init; } = [LossType.Sigmoid];

    /// <summary>One weight per entry of <see cref="Losses"/> (≥ 0, not all 0); null = 1 each. Default null.</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>
    /// β, the strength of the KL anchor. Default 0.1; range (0, ∞). DPO/cDPO/robust/hinge/KTO: scale of the implicit
    /// reward β·log(π/π_ref) (typical 0.01–0.5). IPO: the regularization τ, target margin 1/(2τ) (typical 0.01–1).
    /// SimPO: reward scale (paper: 2–10). ORPO: λ, the weight of the odds-ratio term (paper 0.1).
    /// The logged rewards are always β·(log-ratio), so they change scale with β.
    /// </summary>
    public double Beta { get; init; } = 0.1;

    /// <summary>
    /// ε, the assumed probability that a preference label is flipped. Default 0; range [0, 0.5). Read by Sigmoid (cDPO:
    /// −(1−ε)log σ(βΔ) − ε log σ(−βΔ)), Robust (rDPO, paper 0.1; at ε = 0 it equals DPO) and SimPO (as TRL's CPO does).
    /// </summary>
    public double LabelSmoothing { get; init; }

    /// <summary>
    /// γ, SimPO's target reward margin, absolute (as TRL's <c>simpo_gamma</c>; the SimPO repo's gamma_beta_ratio = γ/β).
    /// Default 0.5; range [0, ∞). Read only by SimPO. The paper's Llama-3-Instruct setting is β 2.5, γ 1.375.
    /// </summary>
    public double SimpoGamma { get; init; } = 0.5;

    /// <summary>
    /// Sum or average of the completion log-probs. Default null = each loss's paper definition: Sum for DPO, cDPO, robust,
    /// hinge, KTO (and IPO's logged rewards; IPO's loss itself is always length-normalized, as TRL fixed it); Mean for SimPO
    /// and ORPO. Setting it overrides that for every loss and for the logged logps/rewards: Mean with Sigmoid is
    /// length-normalized DPO (TRL's sigmoid_norm); Sum with SimPO drops its length normalization.
    /// </summary>
    public LogProbReduction? Reduction { get; init; }

    /// <summary>KTO's weight λ_D on desirable examples. Default 1; range (0, ∞). Keep λ_D·n_D / (λ_U·n_U) in [1, 4/3] (KTO paper Eq. 8).</summary>
    public double DesirableWeight { get; init; } = 1.0;

    /// <summary>KTO's weight λ_U on undesirable examples. Default 1; range (0, ∞).</summary>
    public double UndesirableWeight { get; init; } = 1.0;

    /// <summary>True when some objective needs reference-model log-probs (Sigmoid, Robust, Hinge, Ipo, Kto).</summary>
    public bool NeedsReference => Losses.Any(l => l is LossType.Sigmoid or LossType.Robust or LossType.Hinge or LossType.Ipo or LossType.Kto);

    /// <summary>The reduction loss <paramref name="type"/> uses for its log-probs (see <see cref="Reduction"/>).</summary>
    public LogProbReduction ReductionFor(LossType type) =>
        Reduction ?? (type is LossType.SimPO or LossType.Orpo ? LogProbReduction.Mean : LogProbReduction.Sum);

    /// <summary>Weight of entry <paramref name="i"/> of <see cref="Losses"/>.</summary>
    public double WeightAt(int i) => Weights?[i] ?? 1.0;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option, its value and what to do when the options are inconsistent.</summary>
    public LossOptions Validate()
    {
        if (Losses.Count == 0) throw new ArgumentException("Losses is empty: name at least one objective (e.g. Sigmoid for DPO)");
        if (Losses.Distinct().Count() != Losses.Count)
            throw new ArgumentException($"Losses [{string.Join(", ", Losses)}] names an objective twice: give it once and set its weight instead");
        if (Losses.Contains(LossType.Kto) && Losses.Count > 1)
            throw new ArgumentException($"Losses [{string.Join(", ", Losses)}]: Kto trains on unpaired examples and cannot be combined with other objectives");
        if (Weights is not null)
        {
            if (Weights.Count != Losses.Count)
                throw new ArgumentException($"Weights has {Weights.Count} entries but Losses has {Losses.Count}: give one weight per loss, in the same order");
            for (var i = 0; i < Weights.Count; i++)
                if (!(Weights[i] >= 0) || double.IsInfinity(Weights[i]))
                    throw new ArgumentException($"Weights[{i}] = {Weights[i]} (for {Losses[i]}): a weight must be a finite number ≥ 0");
            if (Weights.All(w => w == 0)) throw new ArgumentException("Weights are all 0: the loss would be constant; give some objective a positive weight");
        }
        if (!(Beta > 0) || double.IsInfinity(Beta))
            throw new ArgumentException($"Beta = {Beta}: β must be a finite number > 0 (typical: 0.1 for DPO, 2–10 for SimPO, 0.1 for ORPO's λ)");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 0.5))
            throw new ArgumentException($"LabelSmoothing = {LabelSmoothing}: ε is a label-flip probability and must be in [0, 0.5) (paper value for robust DPO: 0.1)");
        if (!(SimpoGamma >= 0) || double.IsInfinity(SimpoGamma))
            throw new ArgumentException($"SimpoGamma = {SimpoGamma}: γ must be a finite number ≥ 0 (TRL default 0.5)");
        if (!(DesirableWeight > 0) || !(UndesirableWeight > 0) || double.IsInfinity(DesirableWeight) || double.IsInfinity(UndesirableWeight))
            throw new ArgumentException($"DesirableWeight = {DesirableWeight}, UndesirableWeight = {UndesirableWeight}: KTO weights must be finite and > 0");
        return this;
    }
}
