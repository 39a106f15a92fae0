namespace Toolkit.Core.Checkpoints;

/// <summary>
/// The one rope_scaling kind the toolkit supports besides none: Llama 3.1's ("rope_type": "llama3"), which rescales the
/// rotary inverse frequencies by wavelength: wavelengths shorter than original_max_position_embeddings / high_freq_factor
/// are kept, longer than original_max_position_embeddings / low_freq_factor are divided by factor, and the band in
/// between is interpolated linearly (transformers' <c>_compute_llama3_parameters</c>).
/// </summary>
/// <param name="Factor">Divisor for the low frequencies (Llama 3.2: 32).</param>
/// <param name="LowFreqFactor">Llama 3.2: 1.</param>
/// <param name="HighFreqFactor">Llama 3.2: 4; must exceed <paramref name="LowFreqFactor"/>.</param>
/// <param name="OriginalMaxPositionEmbeddings">The pre-training context length (Llama 3.2: 8192).</param>
public sealed record RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    /// <summary>The kind name written in config.json.</summary>
    public const string Llama3 = "llama3";

    /// <summary>Kinds accepted in config.json: "default" (read as no scaling) and "llama3".</summary>
    public static readonly IReadOnlyList<string> SupportedKinds = ["default", Llama3];

    /// <summary>
    /// Rotary inverse frequencies for <paramref name="headDim"/> (length headDim / 2):
    /// inv_freq[i] = 1 / theta^(2i / headDim), rescaled by <paramref name="scaling"/> when given.
    /// </summary>
    public static double[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new double[headDim / 2];
        for (var i = 0; i < inv.Length; i++) inv[i] = 1.0 / Math.Pow(theta, 2.0 * i / headDim);
        if (scaling is null) return inv;

        var lowFreqWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        var highFreqWavelen = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        for (var i = 0; i < inv.Length; i++)
        {
            var wavelen = 2 * Math.PI / inv[i];
            if (wavelen < highFreqWavelen) continue; // high frequency: unchanged
            if (wavelen > lowFreqWavelen) { inv[i] /= scaling.Factor; continue; } // low frequency: scaled
            var smooth = (scaling.OriginalMaxPositionEmbeddings / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
            inv[i] = (1 - smooth) * inv[i] / scaling.Factor + smooth * inv[i];
        }
        return inv;
    }
}
