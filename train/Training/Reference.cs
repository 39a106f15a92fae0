using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>
/// Where the reference model's log-probs come from (issue item 3):
/// <list type="bullet">
/// <item><see cref="Frozen"/>: a second decoder holding the starting weights, run under no_grad each step;</item>
/// <item><see cref="Precomputed"/>: per-example sums computed once by <see cref="ReferenceCache"/> (then training holds one model);</item>
/// <item><see cref="WithAdaptersOff"/>: the policy itself with its LoRA adapters disabled (no extra weights).</item>
/// </list>
/// </summary>
public sealed class Reference : IDisposable
{
    readonly Decoder? _model;
    readonly Func<IDisposable>? _adaptersOff;
    readonly ReferenceCache? _cache;
    readonly bool _ownsModel;

    Reference(Decoder? model, bool ownsModel, Func<IDisposable>? adaptersOff, ReferenceCache? cache)
    {
        (_model, _ownsModel, _adaptersOff, _cache) = (model, ownsModel, adaptersOff, cache);
    }

    /// <summary>A frozen copy (the reference owns and disposes <paramref name="model"/>).</summary>
    public static Reference Frozen(Decoder model) => new(model, true, null, null);

    /// <summary>Precomputed sums (no model in memory).</summary>
    public static Reference Precomputed(ReferenceCache cache) => new(null, false, null, cache);

    /// <summary>The policy with its adapters disabled for the duration of each reference forward.</summary>
    public static Reference WithAdaptersOff(Decoder policy, Func<IDisposable> disableAdapters) => new(policy, false, disableAdapters, null);

    /// <summary>How this reference is held, for the run summary.</summary>
    public string Describe => _cache is not null ? $"precomputed log-probs ({_cache.Path})" : _adaptersOff is not null ? "policy with LoRA adapters disabled" : "frozen copy of the starting model";

    /// <summary>True when a model is available for full-distribution metrics (eval_kl).</summary>
    public bool IsLive => _model is not null;

    /// <summary>(S) summed reference log-probs of <paramref name="batch"/>'s sequences, no gradient. For precomputed
    /// references <paramref name="indices"/> name the pairs and the batch must be in pair order (chosen rows then rejected).</summary>
    public Tensor Sums(LogpBatch batch, IReadOnlyList<int> indices, bool validation)
    {
        using var _ = torch.no_grad();
        if (_cache is not null) return _cache.Sums(indices, validation);
        using var off = _adaptersOff?.Invoke();
        return CompletionLogps.Compute(_model!, batch).Sum.detach();
    }

    /// <summary>Final hidden states (B, T, E) of the reference on <paramref name="batch"/> and the decoder whose lm_head applies, for eval_kl.</summary>
    public (Tensor Hidden, Decoder Model) Hidden(LogpBatch batch)
    {
        if (_model is null) throw new InvalidOperationException("a precomputed reference has no model; eval_kl needs a live reference");
        using var _ = torch.no_grad();
        using var off = _adaptersOff?.Invoke();
        var h = _model.Hidden(batch.Ids, batch.AttentionMask, batch.PositionIds, batch.Allowed);
        return (h, _model);
    }

    /// <summary>Disposes the frozen copy, if any.</summary>
    public void Dispose()
    {
        if (_ownsModel) _model?.Dispose();
    }
}
