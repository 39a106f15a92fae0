using Toolkit.Core.Checkpoints;

namespace Toolkit.Export;

/// <summary>
/// cos / sin tables of the rotary embedding for positions 0..length-1, computed as the libtorch decoder does
/// (float32 θ_i = inverse frequency, angle = float32(p) · θ_i, then cos / sin), so exported logits match it.
/// </summary>
internal static class RotaryTables
{
    /// <summary>(length, D/2) cos and sin: the half tables com.microsoft.RotaryEmbedding takes.</summary>
    public static (float[] Cos, float[] Sin) Half(ModelConfig c, int length)
    {
        var inv = RopeScaling.InverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScaling).Select(x => (float)x).ToArray();
        var half = inv.Length;
        var cos = new float[length * half];
        var sin = new float[length * half];
        for (var p = 0; p < length; p++)
            for (var i = 0; i < half; i++)
            {
                var angle = (float)p * inv[i];
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
        return (cos, sin);
    }

    /// <summary>(length, D) tables with each half repeated: cat(freqs, freqs), the layout of the rotate-half formula.</summary>
    public static (float[] Cos, float[] Sin) Full(ModelConfig c, int length)
    {
        var (hc, hs) = Half(c, length);
        var half = c.HeadDim / 2;
        var cos = new float[length * c.HeadDim];
        var sin = new float[length * c.HeadDim];
        for (var p = 0; p < length; p++)
        {
            Array.Copy(hc, p * half, cos, p * c.HeadDim, half);
            Array.Copy(hc, p * half, cos, p * c.HeadDim + half, half);
            Array.Copy(hs, p * half, sin, p * c.HeadDim, half);
            Array.Copy(hs, p * half, sin, p * c.HeadDim + half, half);
        }
        return (cos, sin);
    }
}
