using static TorchSharp.torch;

namespace Toolkit.Train.Losses;

/// <summary>
/// Supervised fine-tuning: the masked negative log-likelihood of the completion (assistant) tokens, averaged over every
/// completion token in the batch (prompt and padding carry label -100 and count for nothing), i.e. PyTorch's
/// cross_entropy(ignore_index = -100, reduction = mean) over the shifted labels, as TRL's SFTTrainer with
/// <c>assistant_only_loss</c> / <c>completion_only_loss</c> computes it.
/// </summary>
public static class SftLoss
{
    /// <summary>L = −Σ_seq Σ_tok log p / Σ_seq |y| (token-mean). Metrics: loss, num_tokens.</summary>
    public static LossResult Compute(SequenceLogps completions)
    {
        LossMath.RequireRows(completions.Rows, completions.Count, "Count");
        var loss = Nll(completions);
        return new LossResult(loss, new Dictionary<string, double>
        {
            ["loss"] = LossMath.Item(loss),
            ["num_tokens"] = LossMath.Item(completions.Count.sum()),
        });
    }

    /// <summary>−Σ log p / Σ count over the batch (float64 scalar); throws when the batch has no completion token.</summary>
    internal static Tensor Nll(SequenceLogps s)
    {
        var tokens = LossMath.Item(s.Count.sum());
        if (tokens <= 0) throw new ArgumentException("SFT/NLL batch has no completion token (all labels -100): every row was truncated away");
        return LossMath.F64(s.Sum).sum().neg().div(tokens);
    }
}
