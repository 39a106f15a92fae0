using Toolkit.Train.Engine;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Engine;

/// <summary>A checkpointed block gives the same parameter and input gradients as the plain block.</summary>
public class ActivationCheckpointTests
{
    static (float[] W1, float[] W2, float[] X) Grads(bool checkpointed)
    {
        TorchSharpNative.Load();
        manual_seed(5);
        using var l1 = nn.Linear(8, 16);
        using var l2 = nn.Linear(16, 8);
        using var x = randn(4, 8).requires_grad_();
        Tensor Block(Tensor h) { using var a = l1.call(h); using var b = nn.functional.silu(a); return l2.call(b); }
        using (var scope = NewDisposeScope())
        {
            var h = checkpointed ? ActivationCheckpoint.Run(Block, x) : Block(x);
            var h2 = checkpointed ? ActivationCheckpoint.Run(Block, h) : Block(h);   // two blocks in a row
            h2.pow(2).sum().backward();
        }
        return (l1.weight!.grad!.data<float>().ToArray(), l2.weight!.grad!.data<float>().ToArray(), x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Checkpointed_blocks_give_the_plain_gradients()
    {
        var plain = Grads(false);
        var ckpt = Grads(true);
        var d = new[] { (plain.W1, ckpt.W1), (plain.W2, ckpt.W2), (plain.X, ckpt.X) }
            .Max(p => p.Item1.Zip(p.Item2, (a, b) => Math.Abs(a - b)).Max());
        Console.WriteLine($"checkpoint vs plain gradients: max |diff| {d:G3}");
        Assert.True(d <= 1e-6, $"max |diff| {d}");
        Assert.Contains(plain.W1, v => v != 0);
    }
}
