using Toolkit.Core.Checkpoints;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Tests.Losses;

/// <summary>Shared fixtures for the loss tests: a small decoder, random pairs, the python oracle runner.</summary>
static class LossTestKit
{
    public const int Vocab = 97;

    /// <summary>A 2-layer llama-family decoder with GQA: fast enough for many training steps in a test.</summary>
    public static ModelConfig SmallConfig() => Presets.Get("tiny", vocabSize: Vocab) with
    {
        HiddenSize = 64, IntermediateSize = 160, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 16,
    };

    public static Decoder SmallModel(int seed, bool trainable = false)
    {
        var model = new Decoder(DecoderWeights.Random(SmallConfig(), seed));
        if (trainable)
            foreach (var (_, t) in model.Weights.All) t.requires_grad_();
        return model;
    }

    static long[] Tokens(Random rng, int n) => [.. Enumerable.Range(0, n).Select(_ => (long)rng.Next(1, Vocab))];

    /// <summary>Pairs with prompts, chosen and rejected of different lengths (so padding and packing both matter).</summary>
    public static List<TokenPair> RandomPairs(int count, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => new TokenPair(Tokens(rng, rng.Next(3, 9)), Tokens(rng, rng.Next(2, 8)), Tokens(rng, rng.Next(2, 8))))];
    }

    public static double[] ToDoubles(Tensor t)
    {
        using (torch.no_grad()) return t.detach().to(ScalarType.Float64).data<double>().ToArray();
    }
}
