using Toolkit.Train.Data;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>
/// Paired preference objectives (DPO, cDPO, robust, hinge, IPO, SimPO, ORPO and weighted sums with SFT): one policy
/// forward over chosen and rejected (shared-prompt packed or concatenated, <see cref="PairLayouts"/>), the reference's
/// sums from <see cref="Reference"/>, then <see cref="PreferenceLoss"/>. On validation with a live reference it adds
/// <c>kl</c> (<see cref="TokenKl"/>).
/// </summary>
public sealed class PreferenceObjective(IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample> validation,
    LossOptions loss, Reference? reference, bool sharedPrompt, int padId) : IObjective
{
    /// <inheritdoc/>
    public int TrainCount => train.Count;

    /// <inheritdoc/>
    public int ValidationCount => validation.Count;

    IReadOnlyList<PreferenceExample> Set(bool v) => v ? validation : train;

    /// <summary>Pairs (every term is a mean over pairs; the sft term's token mean is weighed the same way, as TRL does).</summary>
    public double Units(IReadOnlyList<int> indices, bool v) => indices.Count;

    /// <summary>The policy-forward batch of <paramref name="pairs"/>: 2B sequences, chosen then rejected.</summary>
    public static LogpBatch Layout(IReadOnlyList<PreferenceExample> pairs, bool sharedPrompt, int padId)
    {
        var tp = pairs.Select(e => new TokenPair(L(e.PromptIds), L(e.ChosenIds), L(e.RejectedIds))).ToList();
        return sharedPrompt ? PairLayouts.SharedPrompt(tp, padId) : PairLayouts.Concatenated(tp, padId);
    }

    static long[] L(int[] a) => Array.ConvertAll(a, x => (long)x);

    /// <inheritdoc/>
    public ObjectiveOutput Forward(Decoder policy, IReadOnlyList<int> indices, bool v)
    {
        var b = indices.Count;
        var batch = Layout([.. indices.Select(i => Set(v)[i])], sharedPrompt, padId);
        var (chosen, rejected) = CompletionLogps.Compute(policy, batch).SplitPairs();                     // (B) each
        Tensor? refC = null, refR = null;
        if (loss.NeedsReference)
        {
            var sums = reference!.Sums(batch, indices, v);                                                  // (2B)
            (refC, refR) = (sums.narrow(0, 0, b), sums.narrow(0, b, b));
        }
        var result = PreferenceLoss.Compute(loss, chosen, rejected, refC, refR);
        var metrics = new Dictionary<string, double>(result.Metrics);
        if (v && reference is { IsLive: true })
        {
            var (sum, count) = TokenKl.Compute(policy, reference, batch);
            metrics["kl"] = sum / Math.Max(1, count);
        }
        return new ObjectiveOutput(result.Loss, metrics, batch.RealTokens);
    }

    /// <inheritdoc/>
    public string Origin(int index, bool v) => Set(v)[index].Origin.ToString();

    /// <summary>Disposes the reference.</summary>
    public void Dispose() => reference?.Dispose();
}
