using Toolkit.Core.Checkpoints;
using Toolkit.Train.Lora;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Lora;

/// <summary>Tiny decoders, a fixed batch, an NLL and a few AdamW steps shared by the LoRA tests.</summary>
static class LoraTestKit
{
    public const int Vocab = 97;

    /// <summary>llama: GQA, tied embeddings, no biases. qwen2: q/k/v biases, untied lm_head (so lm_head can be adapted).</summary>
    public static ModelConfig Small(string family) => Presets.Get("tiny", vocabSize: Vocab) with
    {
        ModelType = family, HiddenSize = 64, IntermediateSize = 160, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 16, AttentionBias = family == "qwen2", TieWordEmbeddings = family == "llama",
    };

    /// <summary>A fixed (4, 12) batch of token ids.</summary>
    public static Tensor Batch(int seed = 11)
    {
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, 4 * 12).Select(_ => (long)rng.Next(Vocab)).ToArray();
        return torch.tensor(ids, [4, 12]);
    }

    /// <summary>Mean next-token NLL of <paramref name="ids"/> (B, T) under <paramref name="model"/>.</summary>
    public static Tensor Nll(Decoder model, Tensor ids)
    {
        long b = ids.size(0), t = ids.size(1);
        var logits = model.Forward(ids).narrow(1, 0, t - 1).reshape(b * (t - 1), -1);     // (B·(T-1), V)
        var targets = ids.narrow(1, 1, t - 1).reshape(b * (t - 1));                        // (B·(T-1))
        return torch.nn.functional.cross_entropy(logits, targets);
    }

    /// <summary>Runs <paramref name="steps"/> AdamW steps of the NLL on <paramref name="ids"/>; returns the loss before each step.</summary>
    public static double[] TrainSteps(LoraAdapters adapters, Tensor ids, int steps, double lr = 1e-2)
    {
        using var opt = torch.optim.AdamW(adapters.Parameters.Cast<TorchSharp.Modules.Parameter>(), lr: lr, weight_decay: 0);
        var losses = new double[steps];
        for (var i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var loss = Nll(adapters.Model, ids);
            loss.backward();
            opt.step();
            losses[i] = loss.ToDouble();
        }
        return losses;
    }

    /// <summary>Logits (B, T, V) of <paramref name="model"/> on <paramref name="ids"/> as floats, without autograd.</summary>
    public static float[] Logits(Decoder model, Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        return model.Forward(ids).to(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>A second decoder with the same base weights, through a checkpoint written to <paramref name="dir"/>.</summary>
    public static Decoder Reload(string dir)
    {
        using var folder = CheckpointFolder.Open(dir);
        return new Decoder(DecoderWeights.Load(folder));
    }

    public static float[] Floats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
