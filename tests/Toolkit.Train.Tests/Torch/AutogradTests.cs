using Toolkit.Train.Torch;

namespace Toolkit.Train.Tests.Torch;

/// <summary>Gradients from libtorch's autograd against central finite differences computed in plain C# (float64).</summary>
public class AutogradTests
{
    // f(x, w) = sum(silu(x @ w)^2), x (2, 3), w (3, 2), in plain C#.
    static double F(double[] x, double[] w)
    {
        double f = 0;
        for (var i = 0; i < 2; i++)
            for (var j = 0; j < 2; j++)
            {
                double z = 0;
                for (var k = 0; k < 3; k++) z += x[i * 3 + k] * w[k * 2 + j];
                var s = z / (1 + Math.Exp(-z));
                f += s * s;
            }
        return f;
    }

    [Fact]
    public void Gradient_of_sum_silu_matmul_squared_matches_central_differences()
    {
        using var scope = torch.NewDisposeScope();
        double[] xs = [0.5, -1.2, 0.3, 2.0, 0.1, -0.7];
        double[] ws = [0.4, -0.3, 1.1, 0.2, -0.5, 0.9];
        var x = torch.tensor(xs, [2, 3]).requires_grad_();
        var w = torch.tensor(ws, [3, 2]).requires_grad_();
        var loss = torch.nn.functional.silu(x.matmul(w)).pow(2).sum();
        Assert.Equal(F(xs, ws), loss.item<double>(), 12);
        loss.backward();

        var gw = w.grad!.ToArray<double>();
        var gx = x.grad!.ToArray<double>();
        const double h = 1e-6;
        double maxDiff = 0;
        for (var i = 0; i < ws.Length; i++)
        {
            double[] p = [.. ws], m = [.. ws];
            p[i] += h; m[i] -= h;
            maxDiff = Math.Max(maxDiff, Math.Abs((F(xs, p) - F(xs, m)) / (2 * h) - gw[i]));
        }
        for (var i = 0; i < xs.Length; i++)
        {
            double[] p = [.. xs], m = [.. xs];
            p[i] += h; m[i] -= h;
            maxDiff = Math.Max(maxDiff, Math.Abs((F(p, ws) - F(m, ws)) / (2 * h) - gx[i]));
        }
        Assert.True(maxDiff < 1e-7, $"max |autograd - finite difference| = {maxDiff:E3}");
    }

    [Fact]
    public void No_grad_scope_records_nothing_and_restores_the_mode()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.ones([2], requires_grad: true);
        Assert.True(torch.is_grad_enabled());
        using (torch.no_grad())
        {
            Assert.False(torch.is_grad_enabled());
            Assert.False((w * 2).requires_grad);
        }
        Assert.True(torch.is_grad_enabled());
        Assert.True((w * 2).requires_grad);
    }

    [Fact]
    public void Grad_is_null_before_backward_and_after_zero_grad_set_to_none()
    {
        using var scope = torch.NewDisposeScope();
        var w = torch.ones([3], requires_grad: true);
        Assert.Null(w.grad);
        (w * 3).sum().backward();
        Assert.Equal(new float[] { 3, 3, 3 }, w.grad!.ToArray<float>());
        (w * 3).sum().backward(); // accumulates
        Assert.Equal(new float[] { 6, 6, 6 }, w.grad!.ToArray<float>());
        w.zero_grad();
        Assert.Null(w.grad);
    }
}
