using System.Runtime.InteropServices;
using Toolkit.Core.Checkpoints;
using Toolkit.Train.Engine;
using Toolkit.Train.Lora;
using Toolkit.Train.Model;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Oracle;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Model;

/// <summary>
/// A wrong-shape weight inside our decoder (a projection, or a LoRA factor feeding its matmul) is a C# exception naming
/// the shapes, and the process goes on: the same decoder, its weight put back, gives the logits it gave before.
/// (TorchSharp's own <c>Tensor.matmul</c> terminates the process on a shape error; a crash here would end the test run.)
/// </summary>
public sealed class ShapeErrorTests(ITestOutputHelper output)
{
    static ModelConfig Small() => Presets.Get("tiny", vocabSize: 97) with
    {
        ModelType = "qwen2", HiddenSize = 64, IntermediateSize = 160, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 16, AttentionBias = true, TieWordEmbeddings = false,
    };

    static float[] Logits(Decoder model, Tensor ids)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return model.Forward(ids).data<float>().ToArray();
    }

    /// <summary>Swaps <paramref name="weight"/>'s storage for a zero tensor of <paramref name="shape"/>, runs <paramref name="forward"/>, puts the weight back.</summary>
    static Exception WithWrongShape(Tensor weight, long[] shape, Action forward)
    {
        using var detached = weight.detach();
        using var keep = detached.clone();                                  // the weight's own storage is replaced below
        using var wrong = zeros(shape, dtype: weight.dtype);
        using (no_grad()) weight.set_(wrong);
        try { return Assert.ThrowsAny<Exception>(forward); }
        finally { using (no_grad()) weight.set_(keep); }
    }

    [Fact]
    public void A_mismatched_projection_or_lora_factor_throws_and_the_decoder_still_works_after()
    {
        using var model = new Decoder(DecoderWeights.Random(Small(), seed: 41));
        using var ids = tensor(new long[] { 3, 14, 15, 92, 65, 35 }, [1, 6]);
        var before = Logits(model, ids);

        // 1) o_proj expects H·D = 64 inputs; a (64, 48) weight cannot take them
        var proj = WithWrongShape(model.Weights["model.layers.1.self_attn.o_proj.weight"], [64, 48], () => Logits(model, ids));
        output.WriteLine($"o_proj (64, 48): {proj.GetType().Name}: {proj.Message}");
        Assert.True(proj is ExternalException or ArgumentException, $"{proj.GetType()}: {proj.Message}");
        Assert.Contains("48", proj.Message);

        // 2) a LoRA A factor of the wrong rank-width: x (…, 64) · Aᵀ with A (8, 32)
        using (var adapters = LoraAdapters.Attach(model, new LoraConfig { Dropout = 0 }, seed: 42))
        {
            var pair = adapters.Pairs.First(p => p.Target.Module == "model.layers.0.mlp.up_proj");
            var lora = WithWrongShape(pair.A, [pair.A.size(0), 32], () => Logits(model, ids));
            output.WriteLine($"lora_A (8, 32): {lora.GetType().Name}: {lora.Message}");
            Assert.True(lora is ExternalException or ArgumentException, $"{lora.GetType()}: {lora.Message}");
            Assert.Contains("32", lora.Message);
            Assert.Equal(0.0, MaxAbsDiff(before, Logits(model, ids)));      // fresh adapters (B = 0) add exactly nothing
        }

        // 3) the process and the decoder go on
        var after = Logits(model, ids);
        Assert.Equal(0.0, MaxAbsDiff(before, after));
    }

    [Fact]
    public void A_wrong_shape_matmul_leaves_no_live_tensor_behind()
    {
        using var model = new Decoder(DecoderWeights.Random(Small(), seed: 43));
        using var ids = tensor(new long[] { 1, 2, 3, 4 }, [1, 4]);
        Logits(model, ids);                                                 // first-call allocations
        var w = model.Weights["model.layers.0.mlp.down_proj.weight"];
        var leaked = LiveTensors.Leaked(() => WithWrongShape(w, [64, 100], () => Logits(model, ids)));
        Assert.Equal(0, leaked);
    }
}
