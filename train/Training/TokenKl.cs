using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>
/// The validation estimate of KL(policy ‖ reference): at every completion position of the validation batch (contexts
/// teacher-forced from the data), the exact KL between the two next-token distributions over the whole vocabulary,
/// Σ_v π(v) (log π(v) − log π_ref(v)), averaged over positions. Zero when policy = reference, always ≥ 0, and unlike the
/// sequence log-ratio it needs no samples from the policy. Runs the lm_head in chunks (no (B, T, V) tensor).
/// </summary>
public static class TokenKl
{
    /// <summary>(Σ KL over positions, positions) for <paramref name="batch"/>; call under no_grad.</summary>
    public static (double Sum, long Count) Compute(Decoder policy, Reference reference, LogpBatch batch, int chunk = CompletionLogps.DefaultChunk)
    {
        using var scope = torch.NewDisposeScope();
        var hp = policy.Hidden(batch.Ids, batch.AttentionMask, batch.PositionIds, batch.Allowed);       // (B, T, E)
        var (hr, refModel) = reference.Hidden(batch);                                                    // (B, T, E)
        var positions = batch.Targets.Positions.Distinct().ToArray();                                    // predicting positions
        var index = torch.tensor(positions);
        var pp = hp.reshape(-1, hp.size(2)).index_select(0, index);                                      // (N, E)
        var pr = hr.reshape(-1, hr.size(2)).index_select(0, index);                                      // (N, E)
        var total = 0.0;
        for (long s = 0; s < positions.Length; s += chunk)
        {
            using var inner = torch.NewDisposeScope();
            var len = Math.Min(chunk, positions.Length - s);
            var lp = policy.Logits(pp.narrow(0, s, len)).to(ScalarType.Float32).log_softmax(-1);          // (c, V)
            var lq = refModel.Logits(pr.narrow(0, s, len)).to(ScalarType.Float32).log_softmax(-1);        // (c, V)
            total += lp.exp().mul(lp.sub(lq)).sum().to(ScalarType.Float64).item<double>();
        }
        return (total, positions.Length);
    }
}
