using Toolkit.Train.Data;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;

namespace Toolkit.Train.Training;

/// <summary>
/// KTO on unpaired examples (<see cref="KtoLoss"/>): the policy and reference log-probs of the batch, and of its
/// mismatched pairs (prompt i with completion i+1) for the KL reference point, which takes no gradient (as TRL).
/// </summary>
public sealed class KtoObjective(IReadOnlyList<UnpairedExample> train, IReadOnlyList<UnpairedExample> validation,
    LossOptions loss, Reference reference, int padId) : IObjective
{
    /// <inheritdoc/>
    public int TrainCount => train.Count;

    /// <inheritdoc/>
    public int ValidationCount => validation.Count;

    IReadOnlyList<UnpairedExample> Set(bool v) => v ? validation : train;

    /// <summary>Examples (the loss is a mean over examples).</summary>
    public double Units(IReadOnlyList<int> indices, bool v) => indices.Count;

    /// <inheritdoc/>
    public ObjectiveOutput Forward(Decoder policy, IReadOnlyList<int> indices, bool v)
    {
        var ub = Collator.Unpaired([.. indices.Select(i => Set(v)[i])], padId);
        var main = LogpBatch.FromLabels(ub.Batch.InputIds, ub.Batch.AttentionMask, ub.Batch.Labels, ub.Batch.Rows, ub.Batch.Length);
        var kl = LogpBatch.FromLabels(ub.Mismatched.InputIds, ub.Mismatched.AttentionMask, ub.Mismatched.Labels, ub.Mismatched.Rows, ub.Mismatched.Length);
        var policyLogps = CompletionLogps.Compute(policy, main);                                           // (B)
        SequenceLogps policyKl;
        using (torch.no_grad()) policyKl = CompletionLogps.Compute(policy, kl);
        var result = KtoLoss.Compute(loss, policyLogps, reference.Sums(main, indices, v), policyKl, reference.Sums(kl, indices, v), ub.Labels);
        return new ObjectiveOutput(result.Loss, result.Metrics, main.RealTokens);
    }

    /// <inheritdoc/>
    public string Origin(int index, bool v) => Set(v)[index].Origin.ToString();

    /// <summary>Disposes the reference.</summary>
    public void Dispose() => reference.Dispose();
}
