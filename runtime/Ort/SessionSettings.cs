using Microsoft.ML.OnnxRuntime;

namespace Toolkit.Runtime.Ort;

/// <summary>ONNX Runtime session settings the toolkit exposes (everything else keeps ONNX Runtime's defaults).</summary>
public sealed record SessionSettings
{
    /// <summary>Threads inside one op (default 0 = ONNX Runtime's default: one per physical core). Range ≥ 0.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Graph optimization level (default all: constant folding, fusions, layout).</summary>
    public GraphOptimizationLevel GraphOptimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>ONNX Runtime's <see cref="SessionOptions"/> for these settings; the caller disposes it.</summary>
    public SessionOptions ToSessionOptions()
    {
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "intra-op threads must be ≥ 0 (0 = one per physical core)");
        return new SessionOptions { IntraOpNumThreads = IntraOpThreads, GraphOptimizationLevel = GraphOptimization };
    }
}
