using TorchSharp.Modules;
using Toolkit.Train.Engine;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Engine;

/// <summary>
/// A training step in a dispose scope (forward, loss, backward, clip, one AdamW with a decay and a no-decay parameter
/// group) leaves the live-tensor count where it found it, and the loss goes down.
/// </summary>
public class LiveTensorsTests
{
    [Fact]
    public void Training_steps_return_the_live_count_to_its_baseline()
    {
        TorchSharpNative.Load();
        manual_seed(1);
        using var l1 = nn.Linear(8, 32);
        using var l2 = nn.Linear(32, 1);
        var decay = new[] { l1.weight!, l2.weight! };
        var noDecay = new[] { l1.bias!, l2.bias! };
        using var opt = optim.AdamW([new AdamW.ParamGroup(decay, weight_decay: 0.01), new AdamW.ParamGroup(noDecay, weight_decay: 0)], lr: 1e-2);
        using var x = randn(64, 8);
        using var y = x.sum(1, keepdim: true).sin();
        double Step()
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(l2.call(nn.functional.silu(l1.call(x))), y);
            loss.backward();
            nn.utils.clip_grad_norm_(l1.parameters().Concat(l2.parameters()), 1.0);
            opt.step();
            return loss.item<float>();
        }
        var first = Step();                                   // optimizer state (exp_avg...) is created here
        double last = 0;
        var leaked = LiveTensors.Leaked(() => { for (var i = 0; i < 50; i++) last = Step(); });
        Console.WriteLine($"live tensors after 50 steps: {leaked:+0;-0;0} vs baseline; loss {first:G4} -> {last:G4}");
        Assert.Equal(0, leaked);
        Assert.True(last < 0.9 * first, $"loss {first} -> {last}");
    }
}
