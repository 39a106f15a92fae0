using Toolkit.Train.Torch;

namespace Toolkit.Train.Tests.Torch;

/// <summary>AdamW against its update rule worked by hand; clip_grad_norm against the norm worked by hand; state round trips.</summary>
public class OptimTests
{
    [Fact]
    public void First_AdamW_update_matches_hand_computation()
    {
        using var scope = torch.NewDisposeScope();
        double[] p0 = [1.0, -2.0, 0.5];
        var p = torch.tensor(p0).requires_grad_();
        using var opt = new torch.optim.AdamW([p], lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01);
        (p.pow(2).sum() * 0.5).backward(); // grad = p
        opt.step();
        // step 1: p ← p(1 − lr·wd); m̂ = g; v̂ = g²  ⇒  p ← p − lr·g/(|g| + eps)
        var got = p.detach().ToArray<double>();
        for (var i = 0; i < 3; i++)
        {
            var g = p0[i];
            var expected = p0[i] * (1 - 0.1 * 0.01) - 0.1 * g / (Math.Abs(g) + 1e-8);
            Assert.Equal(expected, got[i], 12);
        }
    }

    [Fact]
    public void AdamW_steps_reduce_a_quadratic_loss()
    {
        using var scope = torch.NewDisposeScope();
        var target = torch.tensor(new float[] { 3, -1, 2, 0.5f });
        var p = torch.zeros([4], requires_grad: true);
        using var opt = new torch.optim.AdamW([p], lr: 0.1, weight_decay: 0);
        var losses = new List<float>();
        for (var i = 0; i < 20; i++)
        {
            using var step = torch.NewDisposeScope();
            var loss = (p - target).pow(2).sum();
            losses.Add(loss.item<float>());
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        Assert.True(losses[^1] < losses[0] * 0.5, $"loss {losses[0]} -> {losses[^1]}");
        for (var i = 1; i < 5; i++) Assert.True(losses[i] < losses[i - 1], $"step {i}: {losses[i - 1]} -> {losses[i]}");
    }

    [Fact]
    public void AdamW_state_saved_and_loaded_continues_identically()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-adamw-{Guid.NewGuid():N}.pt");
        using var scope = torch.NewDisposeScope();
        static Tensor Loss(Tensor p) => (p - 1).pow(2).sum();
        var a = torch.tensor(new float[] { 0, 2, -1 }).requires_grad_();
        using var optA = new torch.optim.AdamW([a], lr: 0.05);
        for (var i = 0; i < 3; i++) { optA.zero_grad(); Loss(a).backward(); optA.step(); }
        optA.save(path);

        var b = a.detach().clone().requires_grad_();
        using var optB = new torch.optim.AdamW([b], lr: 0.05);
        optB.load(path);
        File.Delete(path);
        optA.zero_grad(); Loss(a).backward(); optA.step();
        optB.zero_grad(); Loss(b).backward(); optB.step();
        Assert.Equal(a.detach().ToArray<float>(), b.detach().ToArray<float>());
    }

    [Fact]
    public void Clip_grad_norm_returns_total_norm_and_scales_to_max_norm()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones([4], requires_grad: true);
        var b = torch.ones([9], requires_grad: true);
        var c = torch.ones([2], requires_grad: true); // no gradient: skipped
        ((a * 3).sum() + (b * 4).sum()).backward();   // |g| = sqrt(4·9 + 9·16) = sqrt(180)
        var norm = torch.nn.utils.clip_grad_norm_([a, b, c], max_norm: 1.0);
        Assert.Equal(Math.Sqrt(180), norm, 4);
        var scale = 1.0 / (Math.Sqrt(180) + 1e-6);
        Assert.Equal(3 * scale, a.grad!.ToArray<float>()[0], 5);
        Assert.Equal(4 * scale, b.grad!.ToArray<float>()[0], 5);
    }
}
