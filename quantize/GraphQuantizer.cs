using System.Text.RegularExpressions;
using Toolkit.Core.Onnx;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize;

/// <summary>
/// Rewrites the MatMul weights of a loaded ONNX model in place. A candidate is a MatMul whose B is a 2-D float / float16
/// initializer (K, N), a MatMul whose B is Transpose(perm 1,0) of an (N, K) initializer (how `toolkit export` stores a
/// tied embedding once: the same matrix feeds the embedding Gather), or a Gemm with transB = 1 whose B is an (N, K)
/// initializer. Each candidate is either:
/// <list type="number">
/// <item>kept (an --exclude pattern or the --keep-sensitive preset matched): its node and weight stay byte for byte;</item>
/// <item>replaced by com.microsoft.MatMulNBits over packed weights (<see cref="MatMulNBitsWeights"/>), same node name and
/// output, Gemm's bias C as MatMulNBits' bias; or</item>
/// <item>fed by a DequantizeLinear of its quantized weight (<see cref="QdqWeights"/>).</item>
/// </list>
/// An original weight no other node reads is dropped (a tied embedding still read by its Gather stays).
/// </summary>
static class GraphQuantizer
{
    static readonly Regex Attention = new(@"(^|[./])(q_proj|k_proj|v_proj|o_proj|qkv_proj)([./]|$)", RegexOptions.CultureInvariant);

    /// <summary>One candidate weight: its node, the initializer, and the (N, K) orientation.
    /// <paramref name="Transpose"/>: the Transpose node between the weight and a MatMul, when the weight reaches it so.</summary>
    sealed record Candidate(NodeProto Node, TensorProto Weight, int N, int K, bool RowsAreOutputs, NodeProto? Transpose = null);

    /// <summary>Quantizes <paramref name="model"/> (modified in place); <paramref name="rounding"/> maps a candidate's (N, K) fp32 weight to its codes.</summary>
    public static List<NodeRecord> Run(ModelProto model, QuantizeOptions o, Func<string, float[], int, int, QuantizedMatrix> rounding)
    {
        var g = model.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = g.Node.SelectMany(n => n.Input).Where(i => i.Length > 0).GroupBy(i => i, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal);
        var producers = g.Node.SelectMany(n => n.Output.Select(o => (o, n))).GroupBy(x => x.o, StringComparer.Ordinal).ToDictionary(x => x.Key, x => x.First().n, StringComparer.Ordinal);
        var gathered = g.Node.Where(n => n.OpType == "Gather").Select(n => n.Input[0]).ToHashSet(StringComparer.Ordinal);
        var patterns = o.Exclude.Select(p => (p, new Regex("^" + Regex.Escape(p).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant))).ToList();
        var records = new List<NodeRecord>();
        var qdqOpset21 = o.Format == QuantFormat.Qdq && (o.Bits == 4 || o.Granularity == Granularity.Block);

        foreach (var node in g.Node.ToList())
        {
            if (Find(node, inits, producers) is not { } c) continue;
            var opBefore = node.OpType;
            // 1) kept?
            string? reason = patterns.FirstOrDefault(p => p.Item2.IsMatch(node.Name) || p.Item2.IsMatch(c.Weight.Name)).p is { } pat ? $"--exclude {pat}" : null;
            var action = "excluded";
            if (reason is null && o.KeepSensitive != KeepSensitive.None)
            {
                var isHead = c.Weight.Name.Contains("lm_head", StringComparison.Ordinal) || node.Name.StartsWith("/lm_head", StringComparison.Ordinal) || gathered.Contains(c.Weight.Name);
                var isAttention = Attention.IsMatch(c.Weight.Name) || Attention.IsMatch(node.Name);
                if (isHead) reason = "--keep-sensitive head";
                else if (isAttention && o.KeepSensitive == KeepSensitive.HeadAndAttention) reason = "--keep-sensitive head-and-attention";
                action = "kept-sensitive";
            }
            if (reason is not null)
            {
                records.Add(new NodeRecord(node.Name, c.Weight.Name, opBefore, opBefore, c.N, c.K, action, reason, null, null, null, null, null));
                continue;
            }
            if (o.Granularity == Granularity.Block) Rtn.CheckBlockSize(o.BlockSize, c.K, $"node '{node.Name}' (weight '{c.Weight.Name}', K = {c.K})");

            // 2) quantize the (N, K) matrix
            var raw = WeightTensor.ReadFloats(c.Weight);
            var w = c.RowsAreOutputs ? raw : WeightTensor.Transpose(raw, c.K, c.N);
            var q = rounding(node.Name, w, c.N, c.K);
            var (maxErr, maxRatio) = Errors(w, q);
            var type = (DataType)c.Weight.DataType;
            var stem = c.Weight.Name;

            // 3) write it into the graph
            string opAfter;
            int storedBlock;
            var weightStillRead = false;   // a shared Transpose of the weight keeps reading it
            if (o.Format == QuantFormat.MatMulNBits)
            {
                var p = MatMulNBitsWeights.Pack(q);
                storedBlock = p.BlockSize;
                var bName = $"{stem}_Q{o.Bits}";
                var sName = $"{stem}_scales";
                g.Initializer.Add(WeightTensor.Make(bName, DataType.Uint8, p.B, p.N, p.KBlocks, p.BlobSize));
                g.Initializer.Add(WeightTensor.Floats(sName, type, p.Scales, p.N, p.KBlocks));
                var inputs = new List<string> { node.Input[0], bName, sName };
                if (p.ZeroPoints is { } zp)
                {
                    g.Initializer.Add(WeightTensor.Make($"{stem}_zero_points", DataType.Uint8, zp, p.N, zp.Length / p.N));
                    inputs.Add($"{stem}_zero_points");
                }
                if (opBefore == "Gemm" && node.Input.Count > 2 && node.Input[2].Length > 0)
                {
                    while (inputs.Count < 5) inputs.Add("");   // zero_points, g_idx omitted
                    inputs.Add(node.Input[2]);                   // bias (N)
                }
                var nb = new NodeProto { Name = node.Name, OpType = "MatMulNBits", Domain = OnnxGraph.MicrosoftDomain };
                nb.Input.AddRange(inputs);
                nb.Output.Add(node.Output[0]);
                nb.Attribute.Add(OnnxGraph.Attr("K", (long)c.K));
                nb.Attribute.Add(OnnxGraph.Attr("N", (long)c.N));
                nb.Attribute.Add(OnnxGraph.Attr("bits", (long)o.Bits));
                nb.Attribute.Add(OnnxGraph.Attr("block_size", (long)p.BlockSize));
                if (o.AccuracyLevel > 0) nb.Attribute.Add(OnnxGraph.Attr("accuracy_level", (long)o.AccuracyLevel));
                g.Node[g.Node.IndexOf(node)] = nb;
                if (c.Transpose is { } t)
                {
                    if (--consumers[t.Output[0]] == 0) g.Node.Remove(t);   // the head's Transpose has no reader left (the weight keeps its Gather)
                    else weightStillRead = true;                             // another node reads the Transpose, so the weight too
                }
                opAfter = "MatMulNBits";
            }
            else
            {
                var dq = QdqWeights.Build(q, c.RowsAreOutputs, type, stem, qdqOpset21);
                foreach (var t in dq.Initializers) g.Initializer.Add(t);
                var dqNode = new NodeProto { Name = node.Name + "/DequantizeLinear", OpType = "DequantizeLinear" };
                dqNode.Input.AddRange(dq.Inputs);
                dqNode.Output.Add(stem + "_dq");
                dqNode.Attribute.AddRange(dq.Attributes);
                if (c.Transpose is { } tp && consumers[tp.Output[0]] == 1)
                {
                    // (N, K) dequantized weight → the existing Transpose → (K, N) for the MatMul
                    g.Node.Insert(g.Node.IndexOf(tp), dqNode);
                    tp.Input[0] = stem + "_dq";
                }
                else if (c.Transpose is { } shared)
                {
                    // another node reads the Transpose: this MatMul gets a Transpose of its own over the dequantized weight
                    var own = new NodeProto { Name = node.Name + "/Transpose", OpType = "Transpose" };
                    own.Input.Add(stem + "_dq");
                    own.Output.Add(stem + "_dq_t");
                    own.Attribute.AddRange(shared.Attribute);
                    g.Node.Insert(g.Node.IndexOf(node), dqNode);
                    g.Node.Insert(g.Node.IndexOf(node), own);
                    node.Input[1] = stem + "_dq_t";
                    consumers[shared.Output[0]]--;
                    weightStillRead = true;
                }
                else
                {
                    g.Node.Insert(g.Node.IndexOf(node), dqNode);
                    node.Input[1] = stem + "_dq";
                }
                storedBlock = q.GroupSize;
                opAfter = "DequantizeLinear+" + opBefore;
            }
            records.Add(new NodeRecord(node.Name, c.Weight.Name, opBefore, opAfter, c.N, c.K, "quantized", null, o.Bits, o.Granularity, storedBlock, maxErr, maxRatio));
            if (!weightStillRead && --consumers[c.Weight.Name] == 0) g.Initializer.Remove(c.Weight);
        }

        if (records.All(r => r.Action != "quantized"))
            return records;
        if (o.Format == QuantFormat.MatMulNBits && model.OpsetImport.All(x => x.Domain != OnnxGraph.MicrosoftDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxGraph.MicrosoftDomain, Version = 1 });
        if (qdqOpset21) UpgradeToOpset21(model);
        return records;
    }

    /// <summary>The candidate <paramref name="node"/> is, or null.</summary>
    static Candidate? Find(NodeProto node, Dictionary<string, TensorProto> inits, Dictionary<string, NodeProto> producers)
    {
        if (node.Domain.Length > 0 || node.Input.Count < 2) return null;
        if (node.OpType == "MatMul" && producers.TryGetValue(node.Input[1], out var t) && t.OpType == "Transpose" && t.Domain.Length == 0
            && inits.TryGetValue(t.Input[0], out var tw) && tw.Dims.Count == 2
            && (DataType)tw.DataType is DataType.Float or DataType.Float16
            && (t.Attribute.FirstOrDefault(a => a.Name == "perm")?.Ints.ToArray() ?? [1, 0]) is [1, 0])
            return new Candidate(node, tw, (int)tw.Dims[0], (int)tw.Dims[1], RowsAreOutputs: true, Transpose: t);
        if (!inits.TryGetValue(node.Input[1], out var w) || w.Dims.Count != 2) return null;
        if ((DataType)w.DataType is not (DataType.Float or DataType.Float16)) return null;
        if (node.OpType == "MatMul") return new Candidate(node, w, (int)w.Dims[1], (int)w.Dims[0], RowsAreOutputs: false);
        if (node.OpType != "Gemm") return null;
        long Int(string name, long fallback) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;
        float Float(string name) => node.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? 1f;
        if (Int("transA", 0) != 0 || Float("alpha") != 1f || Float("beta") != 1f) return null;
        return Int("transB", 0) == 1
            ? new Candidate(node, w, (int)w.Dims[0], (int)w.Dims[1], RowsAreOutputs: true)
            : new Candidate(node, w, (int)w.Dims[1], (int)w.Dims[0], RowsAreOutputs: false);
    }

    /// <summary>max |dequant − w| and max |dequant − w| / scale over the (N, K) matrix.</summary>
    static (double MaxAbs, double MaxRatio) Errors(float[] w, QuantizedMatrix q)
    {
        var d = q.Dequantize();
        double maxAbs = 0, maxRatio = 0;
        for (var n = 0; n < q.N; n++)
            for (var k = 0; k < q.K; k++)
            {
                var i = (long)n * q.K + k;
                var e = Math.Abs((double)d[i] - w[i]);
                var s = q.Scales[n * q.Groups + k / q.GroupSize];
                maxAbs = Math.Max(maxAbs, e);
                if (s > 0) maxRatio = Math.Max(maxRatio, e / s);
            }
        return (maxAbs, maxRatio);
    }

    /// <summary>
    /// Raises the default-domain opset to 21 (blocked and 4-bit DequantizeLinear): the one op of our exports whose
    /// signature changed between 17 and 21 is ReduceMean (axes attribute → input at 18); IR version 10 for int4.
    /// </summary>
    static void UpgradeToOpset21(ModelProto model)
    {
        var g = model.Graph;
        foreach (var n in g.Node.Where(n => n.Domain.Length == 0 && n.OpType is "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL2" or "ReduceLogSumExp" or "ReduceSumSquare").ToList())
        {
            if (n.Attribute.FirstOrDefault(a => a.Name == "axes") is not { } axes) continue;
            var name = $"{n.Name}/axes";
            g.Initializer.Add(WeightTensor.Make(name, DataType.Int64, axes.Ints.SelectMany(BitConverter.GetBytes).ToArray(), axes.Ints.Count));
            n.Input.Add(name);
            n.Attribute.Remove(axes);
        }
        var def = model.OpsetImport.FirstOrDefault(x => x.Domain.Length == 0);
        if (def is null) model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        else def.Version = Math.Max(def.Version, 21);
        model.IrVersion = Math.Max(model.IrVersion, 10);
    }
}
