using Toolkit.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Model;

/// <summary>
/// Rotary position embeddings (RoFormer, Su et al. 2021, eq. 34) in Hugging Face's "rotate half" layout: for a head
/// vector x = [x1, x2] (halves of D), rope(x, p) = x·cos(p·θ) + [-x2, x1]·sin(p·θ), with θ_i = rope_theta^(-2i/D)
/// repeated over both halves (and rescaled per config.rope_scaling, e.g. Llama 3's).
/// </summary>
public sealed class Rotary : IDisposable
{
    readonly Tensor invFreq; // (D/2) float32, owned

    public Rotary(ModelConfig config)
    {
        var inv = RopeScaling.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
        invFreq = torch.tensor(inv.Select(x => (float)x).ToArray()).DetachFromDisposeScope();
    }

    /// <summary>cos and sin tables for <paramref name="positionIds"/> (B, T) int64 → each (B, 1, T, D) float32.</summary>
    public (Tensor cos, Tensor sin) Tables(Tensor positionIds)
    {
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1).mul(invFreq); // (B, T, D/2)
        var emb = torch.cat([freqs, freqs], -1).unsqueeze(1);                       // (B, 1, T, D)
        return (emb.cos(), emb.sin());
    }

    /// <summary>Applies the rotation to <paramref name="x"/> (B, H, T, D) with tables from <see cref="Tables"/>.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.size(-1) / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([x2.neg(), x1], -1); // (B, H, T, D)
        return x.mul(cos.to(x.dtype)).add(rotated.mul(sin.to(x.dtype)));
    }

    public void Dispose() => invFreq.Dispose();
}
