using MathNet.Numerics.Distributions;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Runtime.Tests;

/// <summary>
/// ORT-GenAI's sampler, driven through our <see cref="SearchOptions"/> mapping, over one fixed logits vector
/// (<see cref="ConstantLogitsModel"/>): 10,000 draws per setting follow the distribution computed here from the
/// logits (temperature, then top-k, then the nucleus among what is left), by a chi-square test at p = 0.001; a token
/// outside the allowed set must never appear. The same check applied to draws from a sampler that ignores top_p fails,
/// so the test can tell.
/// </summary>
public sealed class SamplingFrequencyTests(ITestOutputHelper output) : IDisposable
{
    const int Draws = 10_000;
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Expected probability of each id: softmax(logits / T), top-k (0 = off), then the smallest prefix whose mass reaches top_p (0 = off).</summary>
    static double[] Expected(double temperature, int topK, double topP)
    {
        var logits = ConstantLogitsModel.Logits;
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
        var keep = topK > 0 ? order.Take(topK).ToArray() : order;
        var w = keep.Select(i => Math.Exp(logits[i] / temperature)).ToArray();
        var sum = w.Sum();
        var p = w.Select(x => x / sum).ToArray();
        if (topP > 0 && topP < 1)
        {
            var n = 0;
            for (var acc = 0.0; n < p.Length && acc < topP; n++) acc += p[n];
            keep = keep[..n];
            var s = p[..n].Sum();
            p = p[..n].Select(x => x / s).ToArray();
        }
        var result = new double[logits.Length];
        for (var j = 0; j < keep.Length; j++) result[keep[j]] = p[j];
        return result;
    }

    /// <summary>Null when <paramref name="counts"/> fit <paramref name="expected"/>, else why not.</summary>
    static string? Misfit(int[] counts, double[] expected, out double chi2, out double critical)
    {
        chi2 = 0;
        var df = -1;
        for (var i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0)
            {
                if (counts[i] > 0) { critical = double.NaN; return $"id {i} is outside the allowed set but was drawn {counts[i]} times"; }
                continue;
            }
            var e = expected[i] * counts.Sum();
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
            df++;
        }
        critical = ChiSquared.InvCDF(df, 0.999);
        return chi2 < critical ? null : $"chi-square {chi2:F1} ≥ {critical:F1} (df {df}, p = 0.001)";
    }

    int[] Draw(Model model, DecodingSettings settings)
    {
        var p = new GeneratorParams(model);
        p.Apply(settings with { DoSample = true, MaxLength = Draws + 1, RandomSeed = 7 });
        using var g = new Generator(model, p);
        g.AppendTokens([0]);
        while (!g.IsDone()) g.GenerateNextToken();
        var counts = new int[ConstantLogitsModel.Logits.Length];
        foreach (var t in g.GetGeneratedTokens(0)) counts[t]++;
        Assert.Equal(Draws, counts.Sum());
        return counts;
    }

    [Theory]
    [InlineData(1.0, 0, 0.0)]    // plain softmax
    [InlineData(0.6, 0, 0.0)]    // temperature
    [InlineData(1.0, 3, 0.0)]    // top-k
    [InlineData(1.0, 0, 0.75)]   // top-p alone: 3 ids (mass 0.63 after 2, 0.78 after 3)
    [InlineData(1.5, 5, 0.7)]    // top-k, then top-p among them: 3 ids
    public void Ten_thousand_draws_follow_the_expected_distribution(double temperature, int topK, double topP)
    {
        using var model = new Model(ConstantLogitsModel.Write(_dir.File("m")), intraOpThreads: 1);
        var counts = Draw(model, new DecodingSettings { Temperature = temperature, TopK = topK, TopP = topP });
        var expected = Expected(temperature, topK, topP);

        var why = Misfit(counts, expected, out var chi2, out var critical);
        output.WriteLine($"T={temperature} top_k={topK} top_p={topP}: counts [{string.Join(", ", counts)}], expected [{string.Join(", ", expected.Select(e => (e * Draws).ToString("F0")))}], chi2 {chi2:F2} (critical {critical:F2})");
        Assert.Null(why);
    }

    [Fact]
    public void A_sampler_that_ignored_top_p_would_fail_the_check()
    {
        // draws from softmax over all ids (what a sampler ignoring top_p = 0.75 gives), checked against the nucleus
        var full = Expected(1.0, 0, 0);
        var rng = new Random(11);
        var counts = new int[full.Length];
        for (var i = 0; i < Draws; i++)
        {
            var u = rng.NextDouble();
            var id = 0;
            for (var acc = full[0]; acc < u && id < full.Length - 1; acc += full[++id]) { }
            counts[id]++;
        }
        Assert.NotNull(Misfit(counts, Expected(1.0, 0, 0.75), out _, out _));
        Assert.Null(Misfit(counts, full, out _, out _));
    }

    [Fact]
    public void The_folder_default_top_k_larger_than_the_vocabulary_samples_from_all_of_it()
    {
        using var model = new Model(ConstantLogitsModel.Write(_dir.File("m")), intraOpThreads: 1);
        Assert.Equal(50, model.DefaultSearch.TopK);   // genai_config.json's default, over a vocabulary of 8
        var counts = Draw(model, new DecodingSettings());
        Assert.Null(Misfit(counts, Expected(1.0, 0, 0), out _, out _));
    }

    [Fact]
    public void The_same_seed_draws_the_same_tokens()
    {
        using var model = new Model(ConstantLogitsModel.Write(_dir.File("m"), contextLength: 300), intraOpThreads: 1);
        int[] Run(long seed)
        {
            var p = new GeneratorParams(model);
            p.Apply(new DecodingSettings { DoSample = true, TopK = 0, MaxLength = 201, RandomSeed = seed });
            using var g = new Generator(model, p);
            g.AppendTokens([0]);
            while (!g.IsDone()) g.GenerateNextToken();
            return g.GetGeneratedTokens(0).ToArray();
        }
        Assert.Equal(Run(5), Run(5));
        Assert.NotEqual(Run(5), Run(6));
    }

    [Fact]
    public void Cuda_without_the_cuda_build_names_the_package_to_install()
    {
        var folder = ConstantLogitsModel.Write(_dir.File("m"), contextLength: 16);
        var e = Assert.Throws<GenerationException>(() => new Model(folder, device: Device.Cuda));
        output.WriteLine(e.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntimeGenAI.Cuda", e.Message);
        Assert.Contains("--device cpu", e.Message);
    }
}
