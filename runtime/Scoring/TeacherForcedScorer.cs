using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Toolkit.Runtime.Scoring;

/// <summary>
/// Teacher-forced scoring of an exported folder's model.onnx on the official ONNX Runtime package (reference/ORTGENAI.md §6):
/// one <see cref="InferenceSession"/> run per sequence with <c>input_ids</c> int64 (1, T), <c>attention_mask</c> ones
/// (1, T) and every <c>past_key_values.i.key|value</c> an empty (1, kv_heads, 0, head_size) tensor of the cache type;
/// the output <c>logits</c> (1, T, V) row t is the next-token distribution after tokens 0..t. Engine-clean: no generation
/// loop, no tokenizer, so the quantizer's report and the evaluator share it.
/// Errors: a folder without model.onnx, or a graph without input_ids / logits, throws <see cref="ArgumentException"/> naming the file.
/// </summary>
public sealed class TeacherForcedScorer : IDisposable
{
    readonly InferenceSession session;
    readonly (string Name, int[] Dims, bool Half)[] past;

    /// <summary>Seconds the session took to create (graph load, optimization, weight prepacking).</summary>
    public double LoadSeconds { get; }

    /// <summary>Vocabulary size (last dim of logits).</summary>
    public int VocabSize { get; private set; }

    /// <summary>Opens <paramref name="folder"/>/model.onnx with <paramref name="threads"/> intra-op threads (0 = ORT's default: one per core).</summary>
    public TeacherForcedScorer(string folder, int threads = 0)
    {
        var path = Path.Combine(Path.GetFullPath(folder), "model.onnx");
        if (!File.Exists(path)) throw new ArgumentException($"'{path}' does not exist. HINT: pass a folder written by `toolkit export` or `toolkit quantize`");
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (threads > 0) options.IntraOpNumThreads = threads;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        session = new InferenceSession(path, options);
        LoadSeconds = clock.Elapsed.TotalSeconds;
        if (!session.InputMetadata.ContainsKey("input_ids") || !session.OutputMetadata.ContainsKey("logits"))
        {
            session.Dispose();
            throw new ArgumentException($"'{path}' is not a decoder export: it needs input 'input_ids' and output 'logits'");
        }
        past = session.InputMetadata.Where(kv => kv.Key.StartsWith("past_key_values.", StringComparison.Ordinal))
            .Select(kv => (kv.Key, kv.Value.Dimensions, kv.Value.ElementDataType == TensorElementType.Float16)).ToArray();
    }

    /// <summary>Logits (T, V) row-major, fp32, for the token sequence <paramref name="ids"/> (T ≥ 1).</summary>
    public float[] Logits(ReadOnlySpan<long> ids)
    {
        if (ids.Length == 0) throw new ArgumentException("cannot score an empty sequence");
        var t = ids.Length;
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids.ToArray(), [1, t])),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Enumerable.Repeat(1L, t).ToArray(), [1, t])),
        };
        foreach (var (name, dims, half) in past)
        {
            // (batch, kv_heads, past_len = 0, head_size): symbolic dims come back as -1
            int[] shape = [1, dims[1], 0, dims[3]];
            inputs.Add(half
                ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<Float16>(shape))
                : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(shape)));
        }
        using var results = session.Run(inputs, ["logits"]);
        var value = results.First();
        float[] logits = value.Value is DenseTensor<Float16> h ? h.Buffer.ToArray().Select(x => (float)x).ToArray() : ((DenseTensor<float>)value.Value).Buffer.ToArray();
        VocabSize = logits.Length / t;
        return logits;
    }

    /// <summary>log p(ids[t+1] | ids[..t]) for t = 0..T−2 (natural log), from one teacher-forced run.</summary>
    public double[] TokenLogProbs(ReadOnlySpan<long> ids)
    {
        var logits = Logits(ids);
        var v = logits.Length / ids.Length;
        var lp = new double[ids.Length - 1];
        for (var t = 0; t + 1 < ids.Length; t++)
        {
            var row = logits.AsSpan(t * v, v);
            lp[t] = row[(int)ids[t + 1]] - LogSumExp(row);
        }
        return lp;
    }

    /// <summary>Sum of log-probs of <paramref name="continuation"/> after <paramref name="prompt"/> (prompt non-empty).</summary>
    public double ContinuationLogProb(ReadOnlySpan<long> prompt, ReadOnlySpan<long> continuation)
    {
        if (prompt.Length == 0) throw new ArgumentException("the prompt must hold at least one token (a BOS token, for example)");
        var ids = new long[prompt.Length + continuation.Length];
        prompt.CopyTo(ids);
        continuation.CopyTo(ids.AsSpan(prompt.Length));
        return TokenLogProbs(ids).AsSpan(prompt.Length - 1).ToArray().Sum();
    }

    /// <summary>log Σ exp(row), computed in double with the max subtracted.</summary>
    public static double LogSumExp(ReadOnlySpan<float> row)
    {
        var max = float.NegativeInfinity;
        foreach (var x in row) max = Math.Max(max, x);
        double s = 0;
        foreach (var x in row) s += Math.Exp(x - max);
        return max + Math.Log(s);
    }

    public void Dispose() => session.Dispose();
}
