using Toolkit.Train.Engine;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Engine;

/// <summary>A checkpointed block gives the same parameter and input gradients as the plain block.</summary>
public class ActivationCheckpointTests
{
    /// <summary>
    /// Two blocks in a row, each scaling by a context tensor; the forward runs in a dispose scope that ends before
    /// backward (as the trainer's forward does), so the context must outlive it through the checkpoint's saved variables.
    /// </summary>
    static (float[] W1, float[] W2, float[] X) Grads(bool checkpointed, bool bf16 = false, bool inputNeedsGrad = true)
    {
        TorchSharpNative.Load();
        manual_seed(5);
        using var l1 = nn.Linear(8, 16);
        using var l2 = nn.Linear(16, 8);
        using var x = randn(4, 8).requires_grad_(inputNeedsGrad);
        Tensor Block(Tensor h, Tensor[] ctx) { using var a = l1.call(h); using var b = nn.functional.silu(a).mul(ctx[0]); return l2.call(b); }
        using (var outer = NewDisposeScope())
        {
            Tensor loss;
            using (var forward = NewDisposeScope())
            using (Autocast.Enable(bf16))
            {
                var scale = linspace(0.5, 1.5, 16);                                  // freed with the forward's scope
                var h = checkpointed ? ActivationCheckpoint.Run(Block, x, scale) : Block(x, [scale]);
                var h2 = checkpointed ? ActivationCheckpoint.Run(Block, h, scale) : Block(h, [scale]);
                loss = h2.to(ScalarType.Float32).pow(2).sum().MoveToOuterDisposeScope();
            }
            loss.backward();                                                         // after the scope and autocast ended
        }
        return (l1.weight!.grad!.data<float>().ToArray(), l2.weight!.grad!.data<float>().ToArray(),
            inputNeedsGrad ? x.grad!.data<float>().ToArray() : []);
    }

    static double MaxDiff((float[] W1, float[] W2, float[] X) a, (float[] W1, float[] W2, float[] X) b) =>
        new[] { (a.W1, b.W1), (a.W2, b.W2), (a.X, b.X) }.Where(p => p.Item1.Length > 0)
            .Max(p => p.Item1.Zip(p.Item2, (u, v) => Math.Abs(u - v)).Max());

    [Fact]
    public void Checkpointed_blocks_give_the_plain_gradients()
    {
        var plain = Grads(false);
        var d = MaxDiff(plain, Grads(true));
        Console.WriteLine($"checkpoint vs plain gradients: max |diff| {d:G3}");
        Assert.True(d <= 1e-6, $"max |diff| {d}");
        Assert.Contains(plain.W1, v => v != 0);
    }

    [Fact]
    public void The_recomputation_replays_the_forwards_bf16_autocast()
    {
        var plain = Grads(false, bf16: true);
        var d = MaxDiff(plain, Grads(true, bf16: true));
        var fp32 = MaxDiff(plain, Grads(false));
        Console.WriteLine($"bf16 checkpoint vs bf16 plain gradients: max |diff| {d:G3} (bf16 vs fp32: {fp32:G3})");
        Assert.True(fp32 > 1e-4, $"bf16 and fp32 gradients should differ visibly (max |diff| {fp32}); is autocast on?");
        Assert.True(d <= 1e-6, $"max |diff| {d}: the recomputation did not run under the forward's autocast");
    }

    [Fact]
    public void Parameters_get_gradients_when_the_input_needs_none()
    {
        var plain = Grads(false, inputNeedsGrad: false);
        var d = MaxDiff(plain, Grads(true, inputNeedsGrad: false));
        Console.WriteLine($"frozen input, checkpoint vs plain: max |diff| {d:G3}");
        Assert.True(d <= 1e-6, $"max |diff| {d}");
    }
}
