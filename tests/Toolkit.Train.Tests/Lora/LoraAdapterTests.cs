using Toolkit.Train.Lora;
using Toolkit.Train.Engine;
using Toolkit.Train.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Lora.LoraTestKit;
using static Toolkit.Train.Tests.Oracle;

namespace Toolkit.Train.Tests.Lora;

/// <summary>LoRA on the decoder: PEFT's initialization, the adapters-off reference, where gradients go, and that training works.</summary>
public sealed class LoraAdapterTests(ITestOutputHelper output)
{
    [Fact]
    public void Fresh_adapters_leave_the_forward_exactly_equal_to_the_base_and_A_is_kaiming_uniform()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("llama"), seed: 1));
        using var ids = Batch();
        var baseLogits = Logits(model, ids);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig(), seed: 2);
        adapters.Training = true;                                  // dropout on: B = 0 still makes the term exactly 0
        var fresh = Logits(model, ids);
        Assert.Equal(0.0, MaxAbsDiff(baseLogits, fresh));

        // 2 layers × 7 projections; A ~ U(±1/√in): bounded, spread like a uniform (std = bound/√3), B all zeros
        Assert.Equal(14, adapters.Pairs.Count);
        foreach (var p in adapters.Pairs)
        {
            var a = p.A.data<float>().ToArray();
            var bound = 1 / Math.Sqrt(p.Target.In);
            var std = Math.Sqrt(a.Select(v => (double)v * v).Average());
            Assert.True(a.All(v => Math.Abs(v) <= bound), $"{p.Target.Module}: A outside ±{bound}");
            Assert.InRange(std / (bound / Math.Sqrt(3)), 0.85, 1.15);
            Assert.True(p.B.data<float>().ToArray().All(v => v == 0), $"{p.Target.Module}: B is not zero");
        }
    }

    [Fact]
    public void Disable_gives_the_base_logits_after_training_and_the_adapted_ones_again_after_the_scope()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("qwen2"), seed: 3));
        using var ids = Batch();
        var baseLogits = Logits(model, ids);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { Dropout = 0 }, seed: 4);
        TrainSteps(adapters, ids, steps: 3);
        var adapted = Logits(model, ids);
        float[] reference;
        using (adapters.Disable())
        {
            Assert.False(adapters.Enabled);
            reference = Logits(model, ids);
        }
        var again = Logits(model, ids);
        output.WriteLine($"trained vs base: max |diff| {MaxAbsDiff(adapted, baseLogits):E2}; disabled vs base: {MaxAbsDiff(reference, baseLogits):E2}");
        Assert.True(MaxAbsDiff(adapted, baseLogits) > 1e-3, "three AdamW steps did not move the adapted logits");
        Assert.Equal(0.0, MaxAbsDiff(reference, baseLogits));
        Assert.True(adapters.Enabled);
        Assert.Equal(0.0, MaxAbsDiff(again, adapted));
    }

    [Fact]
    public void Only_adapter_parameters_receive_gradients()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("qwen2"), seed: 5));
        using var ids = Batch();
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { TargetModules = [.. LoraConfig.DecoderLinears, "lm_head"] }, seed: 6);
        TrainSteps(adapters, ids, steps: 1);                             // B ≠ 0 now, so A's gradient is not zero by construction
        using var scope = torch.NewDisposeScope();
        foreach (var p in adapters.Parameters) p.grad = null;
        Nll(model, ids).backward();

        foreach (var (name, w) in model.Weights.All)
        {
            Assert.False(w.requires_grad, $"base weight {name} is not frozen");
            Assert.Null(w.grad);
        }
        Assert.Equal(2 * 15, adapters.Parameters.Count);            // 2 layers × 7 + lm_head, A and B each
        foreach (var (name, t) in adapters.NamedParameters)
        {
            var g = t.grad;
            Assert.NotNull(g);
            Assert.True(g!.norm().ToDouble() > 0, $"{name} has a zero gradient");
        }
    }

    [Fact]
    public void A_few_AdamW_steps_on_a_fixed_batch_lower_the_nll()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("llama"), seed: 7));
        using var ids = Batch();
        using var adapters = LoraAdapters.Attach(model, new LoraConfig(), seed: 8);   // dropout 0.05 on while training
        var losses = TrainSteps(adapters, ids, steps: 8);
        adapters.Training = false;
        double after;
        using (var scope = torch.NewDisposeScope()) after = Nll(model, ids).ToDouble();
        output.WriteLine($"NLL per step: {string.Join(", ", losses.Select(l => l.ToString("F4")))}; after: {after:F4}");
        Assert.True(after < losses[0] - 0.2, $"NLL went from {losses[0]} to {after}");
    }

    [Fact]
    public void Bf16_base_weights_with_float32_adapters_keep_bf16_activations_and_train()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("qwen2"), seed: 9, ScalarType.BFloat16));
        using var ids = Batch();
        var baseLogits = Logits(model, ids);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { Dropout = 0 }, seed: 10);
        Assert.All(adapters.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        var losses = TrainSteps(adapters, ids, steps: 4);
        using (var scope = torch.NewDisposeScope())
        using (torch.no_grad())
            Assert.Equal(ScalarType.BFloat16, model.Forward(ids).dtype);
        using (adapters.Disable()) Assert.Equal(0.0, MaxAbsDiff(Logits(model, ids), baseLogits));
        output.WriteLine($"bf16 base NLL per step: {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.True(losses[^1] < losses[0], "loss did not fall");
    }

    [Fact]
    public void Live_tensor_count_returns_to_baseline_after_attach_train_save_load_merge_and_dispose()
    {
        // TorchSharp counts +1 for every Parameter ever made (the wrapped source tensor's handle moves without a
        // decrement; see LiveTensors), so the baseline moves by exactly the Parameters this cycle creates, no more.
        var dir = Directory.CreateTempSubdirectory("tk-lora-live-").FullName;
        try
        {
            long parameters = 0;
            var leaked = LiveTensors.Leaked(() =>
            {
                using var ids = Batch();
                using var model = new Decoder(DecoderWeights.Random(Small("qwen2"), seed: 11));
                parameters += model.Weights.All.Count(p => p.Tensor is Parameter);
                using (var adapters = LoraAdapters.Attach(model, new LoraConfig(), seed: 12))
                {
                    parameters += adapters.Parameters.Count;
                    TrainSteps(adapters, ids, steps: 2);
                    using (adapters.Disable()) Logits(model, ids);
                    PeftAdapter.Save(adapters, dir);
                }
                Assert.Null(model.Adapters);
                using var loaded = PeftAdapter.Load(model, dir);
                parameters += loaded.Parameters.Count;
                LoraMerge.SaveMerged(loaded, Path.Combine(dir, "merged"));
                Logits(model, ids);
            });
            output.WriteLine($"live tensors after the cycle: {leaked:+0;-0;0} vs baseline, {parameters} Parameters made");
            Assert.Equal(parameters, leaked);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Bad_configs_are_refused_with_the_field_and_what_to_do()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("llama"), seed: 13));
        void Refused(LoraConfig c, params string[] parts)
        {
            var e = Assert.Throws<ArgumentException>(() => LoraAdapters.Attach(model, c));
            output.WriteLine(e.Message);
            foreach (var p in parts) Assert.Contains(p, e.Message);
            Assert.Contains("HINT", e.Message);
            Assert.Null(model.Adapters);
        }
        Refused(new LoraConfig { R = 0 }, "r is 0");
        Refused(new LoraConfig { Alpha = -1 }, "alpha is -1");
        Refused(new LoraConfig { Dropout = 1 }, "dropout is 1");
        Refused(new LoraConfig { TargetModules = ["qkv_proj"] }, "'qkv_proj' matches no linear layer");
        Refused(new LoraConfig { TargetModules = ["all-linear", "lm_head"] }, "mixes 'all-linear'");
        Refused(new LoraConfig { TargetModules = ["q_proj", "lm_head"] }, "tie_word_embeddings");
        Refused(new LoraConfig { TargetModulesRegex = @"model\.layers\.9\..*" }, "matches no linear layer");

        using var first = LoraAdapters.Attach(model, new LoraConfig());
        var twice = Assert.Throws<InvalidOperationException>(() => LoraAdapters.Attach(model, new LoraConfig()));
        Assert.Contains("already carries", twice.Message);
        Assert.Same(first, model.Adapters);
    }

    [Fact]
    public void Target_modules_follow_peft_matching_rules()
    {
        var c = Small("qwen2");
        string[] Modules(LoraConfig l) => [.. LoraTargets.Resolve(l, c).Select(t => t.Module)];
        Assert.Equal(14, Modules(new LoraConfig { TargetModules = ["all-linear"] }).Length);
        Assert.DoesNotContain("lm_head", Modules(new LoraConfig { TargetModules = ["all-linear"] }));
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            Modules(new LoraConfig { TargetModules = ["q_proj", "v_proj"] }));
        Assert.Equal(["model.layers.1.mlp.up_proj"], Modules(new LoraConfig { TargetModules = ["model.layers.1.mlp.up_proj"] }));
        Assert.Equal(["model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj"], Modules(new LoraConfig { TargetModulesRegex = @".*\.down_proj" }));
        Assert.Equal(["lm_head"], Modules(new LoraConfig { TargetModules = ["lm_head"] }));
        // "proj" alone is not a "." suffix of any name: PEFT matches whole name components
        Assert.Throws<ArgumentException>(() => Modules(new LoraConfig { TargetModules = ["proj"] }));
        var shapes = LoraTargets.Resolve(new LoraConfig { TargetModules = ["k_proj", "down_proj"] }, c).Take(2).ToList();
        Assert.Equal(new LoraTarget("model.layers.0.self_attn.k_proj", 64, 32), shapes[0]);   // 2 KV heads × 16
        Assert.Equal(new LoraTarget("model.layers.0.mlp.down_proj", 160, 64), shapes[1]);
    }
}
