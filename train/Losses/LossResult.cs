using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Losses;

/// <summary>
/// A loss to back-propagate and the step's metrics under TRL's names (<c>loss</c>, <c>rewards/chosen</c>,
/// <c>rewards/rejected</c>, <c>rewards/accuracies</c>, <c>rewards/margins</c>, <c>logps/chosen</c>, <c>logps/rejected</c>,
/// <c>logits/chosen</c>, <c>logits/rejected</c>, plus <c>nll_loss</c>, <c>log_odds_ratio</c>, <c>log_odds_chosen</c> for
/// ORPO and <c>kl</c>, <c>count/chosen</c>, <c>count/rejected</c> for KTO). <see cref="Loss"/> is a float64 scalar in the
/// current dispose scope; the metrics are plain numbers (batch means), already detached.
/// </summary>
public sealed record LossResult(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Helpers shared by the loss implementations.</summary>
static class LossMath
{
    /// <summary>float64 view of a (B) tensor (autograd flows through the cast).</summary>
    public static Tensor F64(Tensor t) => t.to(ScalarType.Float64);

    public static double Item(Tensor t)
    {
        using (torch.no_grad()) return t.detach().to(ScalarType.Float64).item<double>();
    }

    /// <summary>Throws when a row has no completion token: its log-prob would be 0 (sum) or NaN (mean).</summary>
    public static void RequireTokens(SequenceLogps s, string what)
    {
        float[] counts;
        using (torch.no_grad()) counts = s.Count.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        for (var i = 0; i < counts.Length; i++)
            if (counts[i] <= 0)
                throw new ArgumentException($"{what} sequence {i} has no completion token (prompt filled max_length, or an empty completion): drop the row before the loss");
    }

    public static void RequireRows(long expected, Tensor t, string what)
    {
        if (t.ndim != 1 || t.size(0) != expected)
            throw new ArgumentException($"{what} has shape [{string.Join(", ", t.shape)}], expected [{expected}] (one value per sequence)");
    }

    /// <summary>TRL's logits/* metric: mean of the raw logits over the completion tokens and the vocabulary; null when unknown.</summary>
    public static double? MeanLogits(SequenceLogps s)
    {
        if (s.LogitsSum is null || s.Vocab <= 0) return null;
        var tokens = Item(s.Count.sum());
        return tokens == 0 ? null : Item(s.LogitsSum.sum()) / (tokens * s.Vocab);
    }
}
