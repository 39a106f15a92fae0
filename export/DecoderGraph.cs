using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Export;

/// <summary>
/// The decoder of train/Model/Decoder.cs as an ONNX graph with a KV cache, under ORT-GenAI's I/O names:
/// input_ids (B, T) int64, attention_mask (B, S) int64, past_key_values.{i}.key|value (B, G, P, D)
/// → logits (B, T, V), present.{i}.key|value (B, G, S, D), with S = P + T.
/// Positions come from the mask inside the graph (cumsum − 1, padding → 1, as transformers' generate), so the graph has
/// no position_ids input. Attention is either written out in standard ops (grouped heads by a reshape, causal + padding
/// mask by Where, softmax in float32: the libtorch decoder's logits for any padding) or, for --ops gqa, one
/// com.microsoft GroupQueryAttention per layer (seqlens_k from the mask: right padding only; past and present may be
/// one shared max_length buffer).
/// Shapes: B batch, T new tokens, P past, S = P + T, H query heads, G KV heads, r = H / G, D head dim, E hidden, V vocab.
/// </summary>
internal sealed class DecoderGraph
{
    readonly ModelConfig c;
    readonly DecoderWeights w;
    readonly ExportOptions options;
    readonly OnnxGraph g = new("decoder");
    readonly DataType io;                 // float or float16: weights, KV cache, logits
    readonly ScalarType weightType;
    readonly bool contrib;
    readonly bool gqa;

    OnnxValue? seqlensK, totalLength;     // GroupQueryAttention: (B) int32 last real key index, scalar int32 S

    // graph-wide values
    OnnxValue positions;                  // (B, T) int64
    OnnxValue cos, sin;                   // standard: (B, 1, T, D); contrib: the (max, D/2) caches
    OnnxValue allowed;                    // (B, 1, 1, T, S) bool

    DecoderGraph(DecoderWeights weights, ExportOptions options)
    {
        c = weights.Config;
        w = weights;
        this.options = options;
        io = options.Dtype == ExportDtype.Fp16 ? DataType.Float16 : DataType.Float;
        weightType = options.Dtype == ExportDtype.Fp16 ? ScalarType.Float16 : ScalarType.Float32;
        gqa = options.Ops == ExportOps.OrtGqa;
        contrib = options.Ops == ExportOps.OrtContrib || gqa;
    }

    /// <summary>Builds the graph of <paramref name="weights"/>; returns the model (initializers inline in raw_data) and the ops it uses.</summary>
    public static (ModelProto Model, IReadOnlyList<string> Ops) Build(DecoderWeights weights, ExportOptions options)
    {
        var d = new DecoderGraph(weights, options);
        d.BuildGraph();
        var ops = d.g.OpTypes.Select(o => o.Domain.Length == 0 ? o.OpType : $"{o.Domain}.{o.OpType}").Distinct().Order(StringComparer.Ordinal).ToList();
        var model = d.g.ToModel("toolkit-export", new Dictionary<string, string> { ["model_type"] = weights.Config.ModelType, ["dtype"] = options.Dtype.ToString().ToLowerInvariant() });
        return (model, ops);
    }

    void BuildGraph()
    {
        var ids = g.Input("input_ids", DataType.Int64, "batch_size", "sequence_length");
        var mask = g.Input("attention_mask", DataType.Int64, "batch_size", "total_sequence_length");
        var past = Enumerable.Range(0, c.NumHiddenLayers).Select(i => (
            K: g.Input($"past_key_values.{i}.key", io, "batch_size", (long)c.NumKeyValueHeads, "past_sequence_length", (long)c.HeadDim),
            V: g.Input($"past_key_values.{i}.value", io, "batch_size", (long)c.NumKeyValueHeads, "past_sequence_length", (long)c.HeadDim))).ToList();

        g.Scope = "/model/pos";
        MaskAndPositions(ids, mask);

        g.Scope = "/model/embed_tokens";
        var embed = Weight("model.embed_tokens.weight", transpose: false);                   // (V, E)
        var h = g.Gather(embed, ids);                                                         // (B, T, E)
        OnnxValue? pending = null;                                                            // a residual branch not yet added to h
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}.";
            g.Scope = $"/model/layers.{i}/input_layernorm";
            var x = Norm(ref h, pending, p + "input_layernorm.weight");
            g.Scope = $"/model/layers.{i}/attn";
            var (attn, presentK, presentV) = Attention(x, past[i].K, past[i].V, p);
            g.Output(presentK, $"present.{i}.key", io, "batch_size", (long)c.NumKeyValueHeads, "total_sequence_length", (long)c.HeadDim);
            g.Output(presentV, $"present.{i}.value", io, "batch_size", (long)c.NumKeyValueHeads, "total_sequence_length", (long)c.HeadDim);
            g.Scope = $"/model/layers.{i}/post_attention_layernorm";
            x = Norm(ref h, attn, p + "post_attention_layernorm.weight");
            g.Scope = $"/model/layers.{i}/mlp";
            pending = Mlp(x, p);
        }
        g.Scope = "/model/norm";
        var last = Norm(ref h, pending, "model.norm.weight");
        g.Scope = "/lm_head";
        // tied embeddings: the one (V, E) initializer serves the Gather and, through a Transpose, the head (stored once)
        var head = w.Get("lm_head.weight") is null ? g.Transpose(embed, 1, 0) : Weight("lm_head.weight", transpose: true);   // (E, V)
        var logits = g.MatMul(last, head);                                                    // (B, T, V)
        g.Output(logits, "logits", io, "batch_size", "sequence_length", (long)c.VocabSize);
    }

    /// <summary>Positions (B, T) from the mask, rotary tables for them, and the (B, 1, 1, T, S) attention rule.</summary>
    void MaskAndPositions(OnnxValue ids, OnnxValue mask)
    {
        var t = g.Dim(ids, 1);                                                                // [T]
        var s = g.Dim(mask, 1);                                                               // [S]
        var pastLen = g.Sub(s, t);                                                            // [P]
        // 1) positions: real tokens counted from 0, padding → 1 (transformers' generate), last T columns
        var counted = g.Sub(g.CumSum(mask, 1), g.Scalar(1L));                                 // (B, S)
        var all = g.Where(g.Equal(mask, g.Scalar(0L)), g.Scalar(1L), counted);
        positions = g.Slice(all, pastLen, s, g.Ints(1));                                      // (B, T)
        // 2) rotary tables
        if (contrib)
        {
            var (hc, hs) = RotaryTables.Half(c, c.MaxPositionEmbeddings);
            cos = Table("cos_cache", hc, c.HeadDim / 2);
            sin = Table("sin_cache", hs, c.HeadDim / 2);
        }
        else
        {
            var (fc, fs) = RotaryTables.Full(c, c.MaxPositionEmbeddings);
            cos = g.Unsqueeze(g.Gather(Table("cos_cache", fc, c.HeadDim), positions), 1);   // (B, 1, T, D)
            sin = g.Unsqueeze(g.Gather(Table("sin_cache", fs, c.HeadDim), positions), 1);
        }
        if (gqa)
        {
            // GroupQueryAttention's own causal rule: seqlens_k = real tokens − 1 per row, total_sequence_length = S
            seqlensK = g.Cast(g.Sub(g.ReduceSum(mask, [1], keepDims: false), g.Scalar(1L)), DataType.Int32);    // (B)
            totalLength = g.Cast(g.Squeeze(s, 0), DataType.Int32);                                              // ()
            return;
        }
        // 3) query at absolute position P + i sees key j when j ≤ P + i and key j is not padding
        var keyPos = g.Range(g.Scalar(0L), g.Squeeze(s, 0), g.Scalar(1L));                    // (S)
        var queryPos = g.Range(g.Squeeze(pastLen, 0), g.Squeeze(s, 0), g.Scalar(1L));          // (T)
        var causal = g.LessOrEqual(g.Unsqueeze(keyPos, 0), g.Unsqueeze(queryPos, 1));          // (T, S)
        var real = g.Unsqueeze(g.Cast(mask, DataType.Bool), 1, 2, 3);                          // (B, 1, 1, 1, S)
        allowed = g.And(causal, real);                                                         // (B, 1, 1, T, S)
    }

    OnnxValue Table(string name, float[] values, int width) =>
        io == DataType.Float16
            ? g.Initializer(name, values.Select(v => (Half)v).ToArray(), values.Length / width, width)
            : g.Initializer(name, values, values.Length / width, width);

    /// <summary>(B, T, E) → attention output (B, T, E) and this layer's present K, V (B, G, S, D).</summary>
    (OnnxValue Out, OnnxValue K, OnnxValue V) Attention(OnnxValue x, OnnxValue pastK, OnnxValue pastV, string p)
    {
        long hq = c.NumAttentionHeads, gk = c.NumKeyValueHeads, d = c.HeadDim, r = hq / gk;
        var q = Project(x, p + "self_attn.q_proj");                                            // (B, T, H·D)
        var k = Project(x, p + "self_attn.k_proj");                                            // (B, T, G·D)
        var v = Project(x, p + "self_attn.v_proj");
        if (contrib)
        {
            // RotaryEmbedding on (B, T, heads·D): rotate-half layout (interleaved = 0), positions (B, T)
            q = g.MsOp("RotaryEmbedding", [q, positions, cos, sin], OnnxGraph.Attr("interleaved", 0L));
            k = g.MsOp("RotaryEmbedding", [k, positions, cos, sin], OnnxGraph.Attr("interleaved", 0L));
        }
        if (gqa)
        {
            // past/present: one (B, G, max_length, D) buffer under ORT-GenAI (past_present_share_buffer), or (B, G, P, D) →
            // (B, G, S, D) when run without it (an InferenceSession feeding present back as past)
            var outs = g.Node("GroupQueryAttention", [q, k, v, pastK, pastV, seqlensK!.Value, totalLength!.Value], [null, null, null],
                [OnnxGraph.Attr("num_heads", hq), OnnxGraph.Attr("kv_num_heads", gk), OnnxGraph.Attr("scale", (float)(1.0 / Math.Sqrt(d)))],
                OnnxGraph.MicrosoftDomain);
            return (g.MatMul(outs[0], Weight(p + "self_attn.o_proj.weight", transpose: true)), outs[1], outs[2]);
        }
        q = g.Transpose(g.Reshape(q, 0, 0, hq, d), 0, 2, 1, 3);                               // (B, H, T, D)
        k = g.Transpose(g.Reshape(k, 0, 0, gk, d), 0, 2, 1, 3);                               // (B, G, T, D)
        v = g.Transpose(g.Reshape(v, 0, 0, gk, d), 0, 2, 1, 3);                               // (B, G, T, D)
        if (!contrib)
        {
            q = Rope(q);
            k = Rope(k);
        }
        var presentK = g.Concat(2, pastK, k);                                                  // (B, G, S, D)
        var presentV = g.Concat(2, pastV, v);

        // grouped heads: query head h = j·r + m uses KV head j (repeat_interleave in the decoder)
        var qg = g.Reshape(q, 0, gk, r, -1, d);                                                 // (B, G, r, T, D)
        var kt = g.Unsqueeze(g.Transpose(presentK, 0, 1, 3, 2), 2);                            // (B, G, 1, D, S)
        var scores = g.Mul(g.MatMul(qg, kt), ScalarIo(1.0 / Math.Sqrt(d)));              // (B, G, r, T, S)
        if (io != DataType.Float) scores = g.Cast(scores, DataType.Float);
        scores = g.Where(allowed, scores, g.Scalar(float.MinValue));                           // masked_fill, as the decoder
        var probs = g.Softmax(scores, -1);
        if (io != DataType.Float) probs = g.Cast(probs, io);
        var o = g.MatMul(probs, g.Unsqueeze(presentV, 2));                                      // (B, G, r, T, D)
        o = g.Transpose(g.Reshape(o, 0, hq, -1, d), 0, 2, 1, 3);                               // (B, T, H, D)
        o = g.Reshape(o, 0, 0, hq * d);                                                        // (B, T, H·D)
        return (g.MatMul(o, Weight(p + "self_attn.o_proj.weight", transpose: true)), presentK, presentV);
    }

    /// <summary>rope(x) = x·cos + [−x2, x1]·sin on (B, heads, T, D) (the standard-op form).</summary>
    OnnxValue Rope(OnnxValue x)
    {
        long half = c.HeadDim / 2;
        var x1 = g.Slice(x, 3, 0, half);
        var x2 = g.Slice(x, 3, half, c.HeadDim);
        var rotated = g.Concat(3, g.Neg(x2), x1);
        return g.Add(g.Mul(x, cos), g.Mul(rotated, sin));
    }

    /// <summary>SwiGLU: down(silu(gate(x)) · up(x)), SiLU as x · sigmoid(x).</summary>
    OnnxValue Mlp(OnnxValue x, string p)
    {
        var gate = g.MatMul(x, Weight(p + "mlp.gate_proj.weight", transpose: true));          // (B, T, F)
        var up = g.MatMul(x, Weight(p + "mlp.up_proj.weight", transpose: true));
        var act = g.Mul(gate, g.Sigmoid(gate));
        return g.MatMul(g.Mul(act, up), Weight(p + "mlp.down_proj.weight", transpose: true));  // (B, T, E)
    }

    /// <summary>
    /// h ← h + <paramref name="branch"/> (when given), then RMSNorm(h) · weight. Contrib form: one
    /// SkipSimplifiedLayerNormalization doing both (its 4th output is the sum); standard form: Add, then
    /// Pow → ReduceMean → Add(eps) → Sqrt → Div → Mul, the pattern ORT fuses into SimplifiedLayerNormalization.
    /// </summary>
    OnnxValue Norm(ref OnnxValue h, OnnxValue? branch, string weightName)
    {
        var weight = Weight(weightName, transpose: false);
        if (contrib && branch is { } b && io == DataType.Float)
        {
            var outs = g.Node("SkipSimplifiedLayerNormalization", [h, b, weight], [null, "", "", null],
                [OnnxGraph.Attr("epsilon", (float)c.RmsNormEps)], OnnxGraph.MicrosoftDomain);
            h = outs[3];
            return outs[0];
        }
        if (branch is { } br) h = g.Add(h, br);
        var x = io == DataType.Float ? h : g.Cast(h, DataType.Float);
        var meanSquare = g.ReduceMean(g.Pow(x, g.Scalar(2f)), [-1]);                           // (B, T, 1)
        var y = g.Div(x, g.Sqrt(g.Add(meanSquare, g.Scalar((float)c.RmsNormEps))));
        if (io != DataType.Float) y = g.Cast(y, io);
        return g.Mul(y, weight);
    }

    OnnxValue Project(OnnxValue x, string name)
    {
        var y = g.MatMul(x, Weight(name + ".weight", transpose: true));
        return w.Get(name + ".bias") is null ? y : g.Add(y, Weight(name + ".bias", transpose: false));
    }

    /// <summary>A weight as an initializer named after its HF tensor; linear weights (out, in) are stored transposed (in, out) for MatMul.</summary>
    OnnxValue Weight(string name, bool transpose) => LinearWeight(name, transpose ? name : null);

    /// <summary><paramref name="name"/>'s tensor, or its transpose stored as <paramref name="transposedName"/>.</summary>
    OnnxValue LinearWeight(string name, string? transposedName)
    {
        using var scope = torch.NewDisposeScope();
        var t = w[name];
        if (transposedName is not null) t = t.transpose(0, 1);
        t = t.detach().to(weightType).cpu().contiguous();
        var bytes = t.bytes.ToArray();
        return g.Initializer(transposedName is null ? name : transposedName + ".T", io, bytes, t.shape);
    }

    OnnxValue ScalarIo(double v) => io == DataType.Float16 ? g.Scalar((Half)v) : g.Scalar((float)v);
}
