using Toolkit.Train.Model;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>What one micro-batch forward returns: the loss (a scalar in the current dispose scope), TRL-named metrics, and the real tokens it fed the policy.</summary>
public sealed record ObjectiveOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics, long Tokens);

/// <summary>
/// A training objective over tokenized examples (SFT, paired preference, KTO): it batches the examples at given
/// indices, runs the policy (and the reference it needs) and calls the loss. The trainer owns the loop, the optimizer
/// and the scopes; an objective owns its data and its reference.
/// </summary>
public interface IObjective : IDisposable
{
    /// <summary>Training examples.</summary>
    int TrainCount { get; }

    /// <summary>Validation examples (0 = no validation).</summary>
    int ValidationCount { get; }

    /// <summary>
    /// The weight of a micro-batch in its optimizer step, in the unit the loss averages over (pairs / examples, or
    /// completion tokens for SFT's token-mean NLL). The trainer scales each micro-batch loss by units / step total, so
    /// gradient accumulation gives the gradient of one big batch.
    /// </summary>
    double Units(IReadOnlyList<int> indices, bool validation);

    /// <summary>Loss and metrics of the examples at <paramref name="indices"/> (train or validation set).</summary>
    ObjectiveOutput Forward(Decoder policy, IReadOnlyList<int> indices, bool validation);

    /// <summary>Where example <paramref name="index"/> came from (file:line), for error messages.</summary>
    string Origin(int index, bool validation);
}
