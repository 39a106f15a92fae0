using Toolkit.Core.Onnx;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Runtime.Tests;

/// <summary>
/// An ORT-GenAI model folder whose decoder ignores its input and returns the same logits at every position and step:
/// input_ids (B, S), attention_mask (B, T), one layer of KV (B, 1, P, 1) that grows by S each step (present = concat
/// of past and the ids as floats), logits (B, S, V) = <see cref="Logits"/> broadcast. ORT-GenAI's sampler then draws
/// every token from one fixed distribution, which the frequency tests check. The last id is EOS, with a logit so low
/// that it is never drawn.
/// </summary>
internal static class ConstantLogitsModel
{
    /// <summary>The fixed logits (the last entry is EOS).</summary>
    public static readonly float[] Logits = [2.0f, 1.6f, 1.1f, 0.7f, 0.2f, -0.3f, -1.0f, -1e9f];

    public static int Eos => Logits.Length - 1;

    /// <summary>Writes the folder into <paramref name="dir"/> and returns it.</summary>
    public static string Write(string dir, int contextLength = 10_100)
    {
        Directory.CreateDirectory(dir);
        var v = Logits.Length;
        var g = new OnnxGraph("constant_logits");
        var ids = g.Input("input_ids", DataType.Int64, "batch", "seq");
        g.Input("attention_mask", DataType.Int64, "batch", "total");
        var pastK = g.Input("past_key_values.0.key", DataType.Float, "batch", 1L, "past", 1L);
        var pastV = g.Input("past_key_values.0.value", DataType.Float, "batch", 1L, "past", 1L);
        var idsF = g.Cast(g.Unsqueeze(ids, 1, 3), DataType.Float);                         // (B, 1, S, 1)
        g.Output(g.Concat(2, pastK, idsF), "present.0.key", DataType.Float, "batch", 1L, "total", 1L);
        g.Output(g.Concat(2, pastV, idsF), "present.0.value", DataType.Float, "batch", 1L, "total", 1L);
        var shape = g.Concat(0, g.Shape(ids), g.Ints(v));                                   // [B, S, V]
        g.Output(g.Expand(g.Const(Logits, v), shape), "logits", DataType.Float, "batch", "seq", (long)v);
        OnnxModelWriter.Save(g.ToModel(), Path.Combine(dir, "model.onnx"));
        GenAiConfigJson.Write(Path.Combine(dir, GenAiConfig.FileName), new GenAiConfig
        {
            ModelType = "llama", VocabSize = v, ContextLength = contextLength, EosTokenIds = [Eos], PadTokenId = Eos,
            Decoder = new GenAiDecoder { Filename = "model.onnx", HiddenSize = 1, NumAttentionHeads = 1, NumKeyValueHeads = 1, NumHiddenLayers = 1, HeadSize = 1 },
        });
        return dir;
    }
}
