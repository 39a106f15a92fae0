using Google.Protobuf;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Toolkit.Core.Onnx;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Quantize;

/// <summary>
/// GPTQ (Frantar et al., "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers", 2022,
/// Algorithm 1, without lazy batching). Calibration: the folder's graph, with every MatMul's activation input added as an
/// output, runs on ONNX Runtime over the calibration samples; H = 2/n Σ xᵀx (K, K) per distinct activation.
/// Quantization of W (N, K): H += λ·mean(diag H)·I (λ = 0.01), U = chol(H⁻¹) upper; for k = 0..K−1 round column k
/// (block granularity: the block's scales come from the already-updated columns when k enters it), then
/// W[:, k+1:] −= ((W[:, k] − dequant) / U[k,k]) ⊗ U[k, k+1:].
/// Layer inputs are those of the fp32 model (not the partly quantized one), as ORT's GPTQ with a fixed calibration pass.
/// </summary>
public sealed class Gptq
{
    const double PercDamp = 0.01;
    readonly Dictionary<string, double[,]> hessians;   // by activation name: (K, K)
    readonly Dictionary<string, string> inputOf;        // node name → activation name
    readonly QuantizeOptions options;

    /// <summary>Calibration samples and tokens used.</summary>
    public int Samples { get; }
    public long Tokens { get; }

    Gptq(Dictionary<string, double[,]> h, Dictionary<string, string> inputOf, QuantizeOptions o, int samples, long tokens)
    {
        hessians = h; this.inputOf = inputOf; options = o; Samples = samples; Tokens = tokens;
    }

    /// <summary>Runs the calibration pass of <paramref name="model"/> (from folder <paramref name="folder"/>, for its tokenizer).</summary>
    public static Gptq Calibrate(ModelProto model, string folder, QuantizeOptions o, Action<string>? log)
    {
        var tokenizer = Tokenizer.FromFolder(folder);
        var texts = TextSamples.Read(o.Calibration!, o.CalibrationSamples);
        var inits = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputOf = model.Graph.Node.Where(n => n.OpType is "MatMul" or "Gemm" && n.Input.Count > 1 && inits.Contains(n.Input[1]) && !inits.Contains(n.Input[0]))
            .ToDictionary(n => n.Name, n => n.Input[0], StringComparer.Ordinal);
        var acts = inputOf.Values.Distinct(StringComparer.Ordinal).ToList();

        // 1) the graph with activations as outputs (inline weights: calibration is for models that fit one protobuf)
        var probe = model.Clone();
        var outputs = probe.Graph.Output.Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var a in acts.Where(a => !outputs.Contains(a)))
            probe.Graph.Output.Add(new ValueInfoProto { Name = a, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        var past = session.InputMetadata.Where(kv => kv.Key.StartsWith("past_key_values.", StringComparison.Ordinal)).ToList();

        // 2) H = Σ xᵀx over calibration tokens
        var h = new Dictionary<string, double[]>(StringComparer.Ordinal);   // (K, K) flat; upper triangle filled, mirrored at the end
        long tokens = 0;
        foreach (var text in texts)
        {
            var ids = tokenizer.Encode(text).Take(256).Select(i => (long)i).ToArray();
            if (ids.Length == 0) continue;
            var inputs = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, [1, ids.Length])),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, ids.Length).ToArray(), [1, ids.Length])),
            };
            foreach (var (name, meta) in past)
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>([1, meta.Dimensions[1], 0, meta.Dimensions[3]])));
            using var results = session.Run(inputs, acts);
            foreach (var r in results)
            {
                var x = ((DenseTensor<float>)r.Value).Buffer.Span;   // (1, T, K)
                var k = x.Length / ids.Length;
                if (!h.TryGetValue(r.Name, out var m)) h[r.Name] = m = new double[k * k];
                var row = new double[k];
                for (var t = 0; t < ids.Length; t++)
                {
                    for (var i = 0; i < k; i++) row[i] = x[t * k + i];
                    AddOuterUpper(m, row);
                }
            }
            tokens += ids.Length;
        }
        if (tokens == 0) throw new QuantizeException($"--calibration '{o.Calibration}': every sample tokenized to nothing. HINT: pass text");
        var hessians = new Dictionary<string, double[,]>(StringComparer.Ordinal);
        foreach (var (name, m) in h)
        {
            var k = (int)Math.Sqrt(m.Length);
            var full = new double[k, k];
            for (var i = 0; i < k; i++)
                for (var j = i; j < k; j++) full[i, j] = full[j, i] = m[i * k + j] * 2.0 / tokens;
            hessians[name] = full;
        }
        log?.Invoke($"gptq: calibrated {acts.Count} activations on {texts.Count} samples ({tokens} tokens)");
        return new Gptq(hessians, inputOf, o, texts.Count, tokens);
    }

    /// <summary>m[i, j] += x[i]·x[j] for j ≥ i (m flat (K, K)), SIMD over j.</summary>
    static void AddOuterUpper(double[] m, double[] x)
    {
        var k = x.Length;
        var w = System.Numerics.Vector<double>.Count;
        for (var i = 0; i < k; i++)
        {
            var xi = x[i];
            if (xi == 0) continue;
            var dst = m.AsSpan(i * k, k);
            var j = i;
            var vxi = new System.Numerics.Vector<double>(xi);
            for (; j + w <= k; j += w)
                (new System.Numerics.Vector<double>(dst[j..]) + vxi * new System.Numerics.Vector<double>(x.AsSpan(j))).CopyTo(dst[j..]);
            for (; j < k; j++) dst[j] += xi * x[j];
        }
    }

    /// <summary>y += a·x, SIMD.</summary>
    static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        var w = System.Numerics.Vector<double>.Count;
        var va = new System.Numerics.Vector<double>(a);
        var j = 0;
        for (; j + w <= x.Length; j += w)
            (new System.Numerics.Vector<double>(y[j..]) + va * new System.Numerics.Vector<double>(x[j..])).CopyTo(y[j..]);
        for (; j < x.Length; j++) y[j] += a * x[j];
    }

    /// <summary>GPTQ codes for node <paramref name="node"/>'s (N, K) weight <paramref name="w"/>; RTN when the node saw no calibration data.</summary>
    public QuantizedMatrix Quantize(string node, float[] w, int n, int k)
    {
        var o = options;
        if (!inputOf.TryGetValue(node, out var act) || !hessians.TryGetValue(act, out var hRaw) || hRaw.GetLength(0) != k)
            return Rtn.Quantize(w, n, k, o.Bits, o.Granularity, o.BlockSize, o.Symmetric);
        var group = o.Granularity == Granularity.Block ? o.BlockSize : k;
        var groups = k / group;
        var W = w.Select(x => (double)x).ToArray();

        // 1) damped Hessian; dead inputs (never active) are zeroed
        var H = Matrix<double>.Build.DenseOfArray(hRaw);
        var mean = 0.0;
        for (var i = 0; i < k; i++) mean += H[i, i];
        mean /= k;
        for (var i = 0; i < k; i++)
        {
            if (H[i, i] == 0) { H[i, i] = 1; for (var r = 0; r < n; r++) W[(long)r * k + i] = 0; }
            H[i, i] += PercDamp * Math.Max(mean, 1e-12);
        }
        var U = H.Cholesky().Solve(Matrix<double>.Build.DenseIdentity(k)).Cholesky().Factor.Transpose().ToRowMajorArray();   // H⁻¹ = Uᵀ U, (K, K) flat

        // 2) scales: tensor / channel from the original weights; block when each block starts
        var scales = new float[n * groups];
        var zps = new byte[n * groups];
        if (o.Granularity != Granularity.Block)
        {
            var rtn = Rtn.Quantize(w, n, k, o.Bits, o.Granularity, o.BlockSize, o.Symmetric);
            rtn.Scales.CopyTo(scales, 0);
            rtn.ZeroPoints.CopyTo(zps, 0);
        }
        var q = new byte[(long)n * k];
        var buf = new float[group];
        for (var c = 0; c < k; c++)
        {
            var g = c / group;
            if (o.Granularity == Granularity.Block && c % group == 0)
                for (var r = 0; r < n; r++)
                {
                    for (var j = 0; j < group; j++) buf[j] = (float)W[(long)r * k + c + j];
                    (scales[r * groups + g], zps[r * groups + g]) = Rtn.Params(buf, o.Bits, o.Symmetric);
                }
            var d = U[c * k + c];
            for (var r = 0; r < n; r++)
            {
                var s = scales[r * groups + g];
                var z = zps[r * groups + g];
                var at = (long)r * k + c;
                var code = Rtn.Code((float)W[at], s, z, o.Bits, o.Symmetric);
                q[at] = code;
                var err = (W[at] - (float)((code - z) * s)) / d;
                Axpy(-err, U.AsSpan(c * k + c + 1, k - c - 1), W.AsSpan(r * k + c + 1, k - c - 1));
            }
        }
        return new QuantizedMatrix(n, k, o.Bits, o.Granularity, group, o.Symmetric, q, scales, zps);
    }
}
