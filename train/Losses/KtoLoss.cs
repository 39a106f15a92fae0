using TorchSharp;
using static TorchSharp.torch;
using static Toolkit.Train.Losses.LossMath;

namespace Toolkit.Train.Losses;

/// <summary>
/// KTO: Ethayarajh et al. 2024, "KTO: Model Alignment as Prospect Theoretic Optimization", Eq. 7-8, as TRL's KTOTrainer
/// computes it. Unpaired examples (x, y) labelled desirable or undesirable; ρ = logπθ(y|x) − logπref(y|x);
/// reference point z₀ = max(0, mean over the batch's mismatched pairs (x_i, y_{i+1}) of logπθ − logπref), detached;
/// desirable: λ_D (1 − σ(β(ρ − z₀))); undesirable: λ_U (1 − σ(β(z₀ − ρ))); loss = mean over all examples.
/// Build the mismatched pairs with <see cref="PairLayouts.Mismatched"/>.
/// </summary>
public static class KtoLoss
{
    /// <summary>
    /// <paramref name="policy"/> (B) and <paramref name="reference"/> (B, summed) log-probs of the examples;
    /// <paramref name="policyKl"/> and <paramref name="referenceKl"/> the same for the mismatched pairs (no gradient is
    /// taken through them); <paramref name="desirable"/>[i] the label of example i.
    /// </summary>
    public static LossResult Compute(LossOptions options, SequenceLogps policy, Tensor reference,
        SequenceLogps policyKl, Tensor referenceKl, IReadOnlyList<bool> desirable)
    {
        var o = options.Validate();
        if (o.Losses.Count != 1 || o.Losses[0] != LossType.Kto)
            throw new ArgumentException($"KtoLoss needs Losses = [Kto], got [{string.Join(", ", o.Losses)}]");
        var b = policy.Rows;
        if (desirable.Count != b) throw new ArgumentException($"{desirable.Count} labels for {b} examples: give one desirable/undesirable label per example");
        RequireRows(b, reference, "reference log-probs");
        RequireRows(policyKl.Rows, referenceKl, "reference KL log-probs");
        RequireTokens(policy, "KTO");
        RequireTokens(policyKl, "KTO mismatched-pair");
        var red = o.ReductionFor(LossType.Kto);
        Tensor Reduce(Tensor sum, SequenceLogps s) => red == LogProbReduction.Mean ? F64(sum).div(F64(s.Count)) : F64(sum);

        var rho = Reduce(policy.Sum, policy).sub(Reduce(reference, policy));                        // (B)
        Tensor z0;
        using (torch.no_grad())
            z0 = Reduce(policyKl.Sum, policyKl).sub(Reduce(referenceKl, policyKl)).mean().clamp(min: 0).detach();  // ()
        var d = torch.tensor(desirable.Select(x => x ? 1.0 : 0.0).ToArray());                       // (B) float64
        var lossD = 1 - rho.sub(z0).mul(o.Beta).sigmoid();
        var lossU = 1 - z0.sub(rho).mul(o.Beta).sigmoid();
        var per = d.mul(lossD).mul(o.DesirableWeight).add((1 - d).mul(lossU).mul(o.UndesirableWeight));   // (B)
        var loss = per.mean();

        var metrics = new Dictionary<string, double> { ["loss"] = Item(loss), ["kl"] = Item(z0) };
        var nD = desirable.Count(x => x);
        metrics["count/chosen"] = nD;
        metrics["count/rejected"] = b - nD;
        using (torch.no_grad())
        {
            var reward = rho.detach().mul(o.Beta);
            var logps = Reduce(policy.Sum.detach(), policy);
            double? rc = null, rr = null;
            if (nD > 0)
            {
                rc = Item(reward.mul(d).sum()) / nD;
                metrics["rewards/chosen"] = rc.Value;
                metrics["logps/chosen"] = Item(logps.mul(d).sum()) / nD;
            }
            if (nD < b)
            {
                rr = Item(reward.mul(1 - d).sum()) / (b - nD);
                metrics["rewards/rejected"] = rr.Value;
                metrics["logps/rejected"] = Item(logps.mul(1 - d).sum()) / (b - nD);
            }
            if (rc is not null && rr is not null) metrics["rewards/margins"] = rc.Value - rr.Value;
            if (policy.LogitsSum is not null && policy.Vocab > 0)
            {
                var ls = policy.LogitsSum.to(ScalarType.Float64);
                var cnt = policy.Count.to(ScalarType.Float64);
                if (nD > 0) metrics["logits/chosen"] = Item(ls.mul(d).sum()) / (Item(cnt.mul(d).sum()) * policy.Vocab);
                if (nD < b) metrics["logits/rejected"] = Item(ls.mul(1 - d).sum()) / (Item(cnt.mul(1 - d).sum()) * policy.Vocab);
            }
        }
        return new LossResult(loss, metrics);
    }
}
