using Toolkit.Core.Checkpoints;

namespace Toolkit.Train.Model;

/// <summary>
/// Named model shapes. <c>tiny</c> (~4M parameters) is what tests and the demo train from scratch in seconds on 2 cores;
/// <c>qwen2.5-0.5b</c> is Qwen2.5-0.5B-Instruct's shape (random weights) for benchmarks; <c>llama-125m</c> is the
/// 125M Llama shape the training benchmark uses.
/// </summary>
public static class Presets
{
    public static readonly IReadOnlyList<string> Names = ["tiny", "qwen2.5-0.5b", "llama-125m"];

    /// <summary>The config of preset <paramref name="name"/>; <paramref name="vocabSize"/> overrides the vocabulary (e.g. a trained tokenizer's).</summary>
    public static ModelConfig Get(string name, int? vocabSize = null) => name switch
    {
        // hidden 256, 4 layers, 4 query heads of 64, 2 KV heads (GQA), SwiGLU 768; tied embeddings; ChatML special tokens
        "tiny" => new ModelConfig
        {
            ModelType = "llama", HiddenSize = 256, IntermediateSize = 768, NumHiddenLayers = 4, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, HeadDim = 64, VocabSize = vocabSize ?? 4096, MaxPositionEmbeddings = 1024,
            RmsNormEps = 1e-6, RopeTheta = 10000, TieWordEmbeddings = true, TorchDtype = "float32",
        },
        "qwen2.5-0.5b" => new ModelConfig
        {
            ModelType = "qwen2", HiddenSize = 896, IntermediateSize = 4864, NumHiddenLayers = 24, NumAttentionHeads = 14,
            NumKeyValueHeads = 2, HeadDim = 64, VocabSize = vocabSize ?? 151936, MaxPositionEmbeddings = 32768,
            RmsNormEps = 1e-6, RopeTheta = 1000000, TieWordEmbeddings = true, AttentionBias = true, TorchDtype = "float32",
        },
        "llama-125m" => new ModelConfig
        {
            ModelType = "llama", HiddenSize = 768, IntermediateSize = 2048, NumHiddenLayers = 12, NumAttentionHeads = 12,
            NumKeyValueHeads = 4, HeadDim = 64, VocabSize = vocabSize ?? 32000, MaxPositionEmbeddings = 2048,
            RmsNormEps = 1e-5, RopeTheta = 10000, TieWordEmbeddings = false, TorchDtype = "float32",
        },
        _ => throw new ArgumentException($"unknown preset '{name}'; known presets: {string.Join(", ", Names)}"),
    };
}
