using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Model;

/// <summary>
/// Past keys and values for incremental decoding: per layer, K and V of shape (B, H_kv, T_past, D) after rotary.
/// The cache owns its tensors: they are detached from any dispose scope, and replaced ones are disposed, so a decode
/// loop may run each step inside its own scope.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor?[] keys, values;

    public KvCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <summary>Number of positions already cached (T_past).</summary>
    public long Length => keys[0]?.size(2) ?? 0;

    /// <summary>Appends this step's (B, H_kv, T, D) K and V for <paramref name="layer"/> and returns the full (B, H_kv, T_past + T, D) pair.</summary>
    public (Tensor k, Tensor v) Append(int layer, Tensor k, Tensor v)
    {
        var fullK = keys[layer] is { } pk ? torch.cat([pk, k], 2) : k.clone();
        var fullV = values[layer] is { } pv ? torch.cat([pv, v], 2) : v.clone();
        keys[layer]?.Dispose();
        values[layer]?.Dispose();
        keys[layer] = fullK.DetachFromDisposeScope();
        values[layer] = fullV.DetachFromDisposeScope();
        return (fullK, fullV);
    }

    public void Dispose()
    {
        foreach (var t in keys) t?.Dispose();
        foreach (var t in values) t?.Dispose();
        Array.Clear(keys);
        Array.Clear(values);
    }
}
