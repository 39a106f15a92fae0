using Toolkit.Train.Engine;
using Toolkit.Train.Lora;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Losses.LossTestKit;

namespace Toolkit.Train.Tests.Model;

/// <summary>
/// <see cref="Decoder.GradientCheckpointing"/> changes memory, not results: a DPO loss on packed and concatenated pairs
/// gives the same loss, logit-sum metric and gradient of every trainable tensor with it on as off — full fine-tuning and
/// LoRA (frozen embedding, so the first layer's input needs no gradient), float32 and bf16 autocast. The forward runs in
/// its own dispose scope that ends before backward, as the trainer's does.
/// </summary>
public sealed class GradientCheckpointingTests(ITestOutputHelper output)
{
    static (double Loss, double[] LogitSums, Dictionary<string, float[]> Grads, long Recomputed) Step(bool checkpointing, bool packed, bool lora, bool bf16)
    {
        using var model = SmallModel(seed: 21, trainable: !lora);
        using var adapters = lora ? LoraAdapters.Attach(model, new LoraConfig { Dropout = 0 }, seed: 3) : null;
        model.GradientCheckpointing = checkpointing;
        var trainable = lora ? adapters!.NamedParameters : model.Weights.All;
        using var scope = NewDisposeScope();
        var pairs = RandomPairs(3, seed: 22);
        var batch = packed ? PairLayouts.SharedPrompt(pairs) : PairLayouts.Concatenated(pairs);
        Tensor loss;
        double[] logitSums;
        using (var forward = NewDisposeScope())
        using (Autocast.Enable(bf16))
        {
            var logps = CompletionLogps.Compute(model, batch);
            logitSums = ToDoubles(logps.LogitsSum!);
            var (c, r) = logps.SplitPairs();
            loss = PreferenceLoss.Compute(new LossOptions { Beta = 0.1 }, c, r, zeros(3), zeros(3)).Loss.MoveToOuterDisposeScope();
        }
        var before = ActivationCheckpoint.Recomputed;
        loss.backward();
        var recomputed = ActivationCheckpoint.Recomputed - before;
        var grads = trainable.ToDictionary(p => p.Name, p => p.Tensor.grad!.to(ScalarType.Float32).data<float>().ToArray());
        return (loss.ToDouble(), logitSums, grads, recomputed);
    }

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    public void Checkpointing_gives_the_plain_loss_metrics_and_gradients(bool packed, bool lora, bool bf16)
    {
        TorchSharpNative.Load();
        var plain = Step(false, packed, lora, bf16);
        var ckpt = Step(true, packed, lora, bf16);
        var dg = plain.Grads.Max(kv => kv.Value.Zip(ckpt.Grads[kv.Key], (a, b) => Math.Abs(a - b)).Max());
        var scale = plain.Grads.Max(kv => kv.Value.Max(Math.Abs));
        var dl = plain.LogitSums.Zip(ckpt.LogitSums, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{(packed ? "packed" : "concatenated")}{(lora ? ", LoRA" : "")}{(bf16 ? ", bf16" : "")}: {plain.Grads.Count} tensors, " +
            $"gradient max |diff| {dg:G3} (max |g| {scale:G3}), loss |diff| {Math.Abs(plain.Loss - ckpt.Loss):G3}, logit-sum |diff| {dl:G3}");
        Assert.Equal(plain.Grads.Keys.Order(), ckpt.Grads.Keys.Order());
        Assert.Equal(0, plain.Recomputed);
        Assert.Equal(SmallConfig().NumHiddenLayers + 1, ckpt.Recomputed);    // every layer, and the one lm_head chunk
        Assert.True(scale > 0, "no gradient reached the trainable tensors");
        Assert.All(plain.Grads, kv => Assert.Equal(kv.Value.Any(v => v != 0), ckpt.Grads[kv.Key].Any(v => v != 0)));
        Assert.True(ckpt.Grads.Count(kv => kv.Value.Any(v => v != 0)) * 2 >= ckpt.Grads.Count, "most trainable tensors should get a gradient");
        Assert.True(Math.Abs(plain.Loss - ckpt.Loss) <= 1e-6, $"losses differ: {plain.Loss} vs {ckpt.Loss}");
        Assert.True(dl <= 1e-3, $"logit sums differ by {dl}");
        Assert.True(dg <= 1e-6 * Math.Max(1, scale), $"gradients differ by {dg}");
    }
}
