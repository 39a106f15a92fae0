using Toolkit.Train.Engine;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Engine;

/// <summary>
/// <see cref="LowPeak.AdamW"/> is TorchSharp's AdamW bit for bit (two parameter groups, weight decay on one, changing
/// learning rate), its optimizer state loads into TorchSharp's and back, and zero_grad leaves no gradient.
/// </summary>
public class LowPeakAdamWTests
{
    static (Parameter[] Params, AdamW Opt) Make(bool lowPeak)
    {
        manual_seed(3);
        var ps = new[] { new Parameter(randn(6, 5)), new Parameter(randn(5)), new Parameter(randn(4, 3)) };
        AdamW.ParamGroup[] groups =
        [
            new([ps[0], ps[2]], lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-6, weight_decay: 0.1),
            new([ps[1]], lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-6, weight_decay: 0),
        ];
        return (ps, lowPeak ? new LowPeak.AdamW(groups, 1e-2) : new AdamW(groups, 1e-2));
    }

    static float[][] Train(bool lowPeak, int steps = 6)
    {
        TorchSharpNative.Load();
        var (ps, opt) = Make(lowPeak);
        using var _ = opt;
        var gen = new Random(9);
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            foreach (var p in ps)
                p.grad = tensor([.. Enumerable.Range(0, (int)p.numel()).Select(_ => (float)(gen.NextDouble() * 2 - 1))], p.shape);
            foreach (var g in opt.ParamGroups) g.LearningRate = 1e-2 * (1 - 0.1 * s);
            opt.step();
        }
        return [.. ps.Select(p => p.data<float>().ToArray())];
    }

    [Fact]
    public void Updates_are_bit_identical_to_TorchSharps_AdamW()
    {
        var theirs = Train(lowPeak: false);
        var ours = Train(lowPeak: true);
        var moved = theirs.Zip(ours).Count(p => !p.First.SequenceEqual(p.Second));
        Assert.Equal(0, moved);
        using var fresh = new Parameter(randn(6, 5));
        Assert.NotEqual(theirs[0], fresh.data<float>().ToArray());
    }

    [Fact]
    public void Zero_grad_sets_gradients_to_none_and_step_skips_them()
    {
        TorchSharpNative.Load();
        var (ps, opt) = Make(lowPeak: true);
        using var _ = opt;
        foreach (var p in ps) p.grad = ones_like(p);
        opt.zero_grad();
        Assert.All(ps, p => Assert.Null(p.grad));
        var before = ps.Select(p => p.data<float>().ToArray()).ToArray();
        opt.step();
        Assert.Equal(before, ps.Select(p => p.data<float>().ToArray()).ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Optimizer_state_files_are_interchangeable_with_TorchSharps_AdamW(bool savedByOurs)
    {
        TorchSharpNative.Load();
        var path = Path.Combine(Path.GetTempPath(), $"lowpeak-{Guid.NewGuid():N}.bin");
        try
        {
            var (ps, saver) = Make(lowPeak: savedByOurs);
            using (saver)
            {
                foreach (var p in ps) p.grad = full_like(p, 0.5);
                saver.step();
                saver.save_state_dict(path);
            }
            var (_, loader) = Make(lowPeak: !savedByOurs);
            using (loader)
            {
                loader.load_state_dict(path);     // a checkpoint of the other kind resumes
                var st = loader.state_dict();
                Assert.All(st.State, s => Assert.Equal(1, ((AdamW.State)s).step));
                Assert.All(((AdamW.State)st.State[0]).exp_avg.data<float>().ToArray(), v => Assert.Equal(0.05f, v, 1e-6f));
            }
        }
        finally { File.Delete(path); }
    }
}
