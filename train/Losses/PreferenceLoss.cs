using TorchSharp;
using static TorchSharp.torch;
using static Toolkit.Train.Losses.LossMath;

namespace Toolkit.Train.Losses;

/// <summary>
/// The paired preference losses, computed from per-sequence completion log-probs of the policy (with grad) and the
/// reference (without). Notation: logπ(y) the summed (or, per <see cref="LossOptions.Reduction"/>, averaged) completion
/// log-prob; ρ = logπθ(y) − logπref(y); Δ = ρ_c − ρ_r; p̄ = logπθ(y)/|y|. Every term is a mean over the B pairs, times
/// its weight; the total is their sum. All arithmetic runs in float64 on (B) tensors (negligible cost, exact metrics).
/// </summary>
public static class PreferenceLoss
{
    /// <summary>
    /// The loss for B pairs. <paramref name="chosen"/>, <paramref name="rejected"/>: the policy's (B) log-probs.
    /// <paramref name="referenceChosen"/>, <paramref name="referenceRejected"/>: the reference's (B) summed log-probs over
    /// the same tokens (live, or precomputed), required when <see cref="LossOptions.NeedsReference"/>.
    /// </summary>
    public static LossResult Compute(LossOptions options, SequenceLogps chosen, SequenceLogps rejected,
        Tensor? referenceChosen = null, Tensor? referenceRejected = null)
    {
        var o = options.Validate();
        if (o.Losses.Contains(LossType.Kto)) throw new ArgumentException("Kto is unpaired: call KtoLoss.Compute");
        var b = chosen.Rows;
        RequireRows(b, rejected.Sum, "rejected log-probs");
        RequireRows(b, chosen.Count, "chosen token counts");
        RequireRows(b, rejected.Count, "rejected token counts");
        RequireTokens(chosen, "chosen");
        RequireTokens(rejected, "rejected");
        if (o.NeedsReference)
        {
            if (referenceChosen is null || referenceRejected is null)
                throw new ArgumentException($"Losses [{string.Join(", ", o.Losses)}] need reference log-probs: pass the reference model's (or precomputed) sums");
            RequireRows(b, referenceChosen, "reference chosen log-probs");
            RequireRows(b, referenceRejected, "reference rejected log-probs");
        }

        // per-reduction views: policy log-probs and log-ratios (float64, (B))
        Tensor Policy(SequenceLogps s, LogProbReduction r) => r == LogProbReduction.Mean ? F64(s.Sum).div(F64(s.Count)) : F64(s.Sum);
        Tensor Ref(Tensor refSum, SequenceLogps s, LogProbReduction r) =>
            r == LogProbReduction.Mean ? F64(refSum).div(F64(s.Count)) : F64(refSum);
        (Tensor C, Tensor R) Ratios(LogProbReduction r) =>
            (Policy(chosen, r).sub(Ref(referenceChosen!, chosen, r)), Policy(rejected, r).sub(Ref(referenceRejected!, rejected, r)));

        double beta = o.Beta, eps = o.LabelSmoothing;
        Tensor? total = null;
        var metrics = new Dictionary<string, double>();
        for (var i = 0; i < o.Losses.Count; i++)
        {
            var type = o.Losses[i];
            var red = o.ReductionFor(type);
            Tensor term;
            switch (type)
            {
                case LossType.Sft:
                {
                    // RPO / MPO: NLL of the chosen completions, token-mean (Pang et al. 2024, "Iterative Reasoning
                    // Preference Optimization", Eq. 2's NLL term; TRL loss_type "sft").
                    term = SftLoss.Nll(chosen);
                    metrics["nll_loss"] = Item(term);
                    break;
                }
                case LossType.Sigmoid:
                {
                    // DPO: Rafailov et al. 2023, "Direct Preference Optimization", Eq. 7: −log σ(β Δ).
                    // cDPO (Mitchell 2023, "A note on DPO with noisy preferences"): −(1−ε) log σ(βΔ) − ε log σ(−βΔ).
                    var (rc, rr) = Ratios(red);
                    var z = rc.sub(rr).mul(beta);
                    term = z.log_sigmoid().mul(-(1 - eps)).sub(z.neg().log_sigmoid().mul(eps)).mean();
                    break;
                }
                case LossType.Robust:
                {
                    // Robust DPO: Chowdhury et al. 2024, "Provably Robust DPO", Eq. 8:
                    // [−(1−ε) log σ(βΔ) + ε log σ(−βΔ)] / (1 − 2ε).
                    var (rc, rr) = Ratios(red);
                    var z = rc.sub(rr).mul(beta);
                    term = z.log_sigmoid().mul(-(1 - eps)).add(z.neg().log_sigmoid().mul(eps)).div(1 - 2 * eps).mean();
                    break;
                }
                case LossType.Hinge:
                {
                    // Hinge: SLiC-HF, Zhao et al. 2023, Eq. 1 with the reference-ratio logits of RSO (Liu et al. 2024,
                    // "Statistical Rejection Sampling", Eq. 11): relu(1 − β Δ).
                    var (rc, rr) = Ratios(red);
                    term = (1 - rc.sub(rr).mul(beta)).relu().mean();
                    break;
                }
                case LossType.Ipo:
                {
                    // IPO: Azar et al. 2024, "A General Theoretical Paradigm to Understand Learning from Human
                    // Preferences", Eq. 17: (Δ − 1/(2τ))², τ = β; Δ on length-normalized log-ratios, as TRL does since
                    // PR #1265 (confirmed with the IPO authors). Always averaged, whatever Reduction says.
                    var (rc, rr) = Ratios(LogProbReduction.Mean);
                    term = rc.sub(rr).sub(1 / (2 * beta)).pow(2).mean();
                    break;
                }
                case LossType.SimPO:
                {
                    // SimPO: Meng et al. 2024, "SimPO: Simple Preference Optimization with a Reference-Free Reward",
                    // Eq. 6: −log σ(β p̄_c − β p̄_r − γ), p̄ = logπ(y)/|y|; label smoothing as TRL's CPOTrainer applies it.
                    var z = Policy(chosen, red).sub(Policy(rejected, red)).mul(beta).sub(o.SimpoGamma);
                    term = z.log_sigmoid().mul(-(1 - eps)).sub(z.neg().log_sigmoid().mul(eps)).mean();
                    break;
                }
                case LossType.Orpo:
                {
                    // ORPO: Hong et al. 2024, "ORPO: Monolithic Preference Optimization without Reference Model",
                    // Eq. 6-7: L = L_SFT + λ·L_OR, L_OR = −log σ(log odds(y_c) − log odds(y_r)),
                    // odds(y) = P/(1−P), log odds = p̄ − log(1 − exp(p̄)) with P = exp(p̄) the mean per-token likelihood.
                    var pc = Policy(chosen, red);
                    var pr = Policy(rejected, red);
                    var logOdds = pc.sub(pr).sub(LogOneMinusExp(pc).sub(LogOneMinusExp(pr)));     // (B)
                    var ratio = logOdds.log_sigmoid();                                              // (B)
                    var nll = SftLoss.Nll(chosen);
                    term = nll.sub(ratio.mean().mul(beta));
                    metrics["nll_loss"] = Item(nll);
                    metrics["log_odds_ratio"] = Item(ratio.mean());
                    metrics["log_odds_chosen"] = Item(logOdds.mean());
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), type, "unknown loss type");
            }
            var weighted = term.mul(o.WeightAt(i));
            total = total is null ? weighted : total.add(weighted);
        }
        metrics["loss"] = Item(total!);
        AddRewardMetrics(o, chosen, rejected, referenceChosen, referenceRejected, Policy, Ratios, metrics);
        return new LossResult(total!, metrics);
    }

    /// <summary>
    /// TRL's reward metrics for the first preference objective listed: β·ρ with a reference (DPO family), β·logπ without
    /// (SimPO, ORPO, as TRL's CPO/ORPO trainers log them); accuracies count strict wins (so 0 at step 1 when policy = reference).
    /// </summary>
    static void AddRewardMetrics(LossOptions o, SequenceLogps chosen, SequenceLogps rejected, Tensor? refC, Tensor? refR,
        Func<SequenceLogps, LogProbReduction, Tensor> policy, Func<LogProbReduction, (Tensor, Tensor)> ratios,
        Dictionary<string, double> metrics)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var primary = o.Losses.FirstOrDefault(l => l != LossType.Sft, LossType.Sft);
        var red = o.ReductionFor(primary);
        var lc = policy(chosen, red);
        var lr = policy(rejected, red);
        metrics["logps/chosen"] = Item(lc.mean());
        metrics["logps/rejected"] = Item(lr.mean());
        if (MeanLogits(chosen) is { } mc) metrics["logits/chosen"] = mc;
        if (MeanLogits(rejected) is { } mr) metrics["logits/rejected"] = mr;
        if (primary == LossType.Sft) return;
        var useRef = primary is not (LossType.SimPO or LossType.Orpo) && refC is not null && refR is not null;
        var (rc, rr) = useRef ? ratios(red) : (lc, lr);
        var wc = rc.mul(o.Beta);
        var wr = rr.mul(o.Beta);
        metrics["rewards/chosen"] = Item(wc.mean());
        metrics["rewards/rejected"] = Item(wr.mean());
        metrics["rewards/accuracies"] = Item(wc.gt(wr).to(ScalarType.Float64).mean());
        metrics["rewards/margins"] = Item(wc.sub(wr).mean());
    }

    /// <summary>
    /// log(1 − eˣ) for x &lt; 0 (any shape, float64 for full precision), in the stable form log(−expm1(x)) (Mächler 2012,
    /// "Accurately Computing log(1 − exp(−|a|))"): expm1(x) = 2t/(1 − t) with t = tanh(x/2), so
    /// log(1 − eˣ) = log(−t) + log 2 − log(1 − t). No cancellation near x = 0, where the naive (1 − eˣ).log() and TRL's
    /// log1p(−exp(x)) lose ~|log₁₀ x| − 16 digits (at x = −1e-12: 2e-5 absolute error). −inf at x = 0.
    /// </summary>
    public static Tensor LogOneMinusExp(Tensor x)
    {
        var t = x.mul(0.5).tanh();                                   // in (−1, 0] for x ≤ 0
        return t.neg().log().add(Math.Log(2)).sub((1 - t).log());
    }
}
