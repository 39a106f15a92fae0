using Toolkit.Train.Data;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;

namespace Toolkit.Train.Training;

/// <summary>SFT: the token-mean NLL of the trained (completion / assistant) tokens, <see cref="SftLoss"/>.</summary>
public sealed class SftObjective(IReadOnlyList<SftExample> train, IReadOnlyList<SftExample> validation, int padId) : IObjective
{
    /// <inheritdoc/>
    public int TrainCount => train.Count;

    /// <inheritdoc/>
    public int ValidationCount => validation.Count;

    IReadOnlyList<SftExample> Set(bool v) => v ? validation : train;

    /// <summary>Completion tokens (the loss is a token mean, so a micro-batch weighs by its tokens: transformers#35856's fix).</summary>
    public double Units(IReadOnlyList<int> indices, bool v) =>
        indices.Sum(i => Set(v)[i].LossMask.Skip(1).Count(m => m));

    /// <inheritdoc/>
    public ObjectiveOutput Forward(Decoder policy, IReadOnlyList<int> indices, bool v)
    {
        var pb = Collator.Sft([.. indices.Select(i => Set(v)[i])], padId);
        var batch = LogpBatch.FromLabels(pb.InputIds, pb.AttentionMask, pb.Labels, pb.Rows, pb.Length);
        var result = SftLoss.Compute(CompletionLogps.Compute(policy, batch));
        return new ObjectiveOutput(result.Loss, result.Metrics, pb.Lengths.Sum());
    }

    /// <inheritdoc/>
    public string Origin(int index, bool v) => Set(v)[index].Origin.ToString();

    /// <inheritdoc/>
    public void Dispose() { }
}
