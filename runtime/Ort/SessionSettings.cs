using Microsoft.ML.OnnxRuntime;

namespace Toolkit.Runtime.Ort;

/// <summary>ONNX Runtime session settings the toolkit exposes (everything else keeps ONNX Runtime's defaults).</summary>
public sealed record SessionSettings
{
    /// <summary>
    /// Threads inside one op; default 0 = <see cref="CpuCores.DefaultIntraOpThreads"/> (one per physical core as the OS
    /// reports them; ONNX Runtime's own 0 trusts CPUID and picks one thread on the 2-vCPU VMs here). Range ≥ 0.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Graph optimization level (default all: constant folding, fusions, layout).</summary>
    public GraphOptimizationLevel GraphOptimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>ONNX Runtime's <see cref="SessionOptions"/> for these settings; the caller disposes it.</summary>
    public SessionOptions ToSessionOptions()
    {
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "intra-op threads must be ≥ 0 (0 = one per physical core as the OS reports them)");
        return new SessionOptions { IntraOpNumThreads = IntraOpThreads == 0 ? CpuCores.DefaultIntraOpThreads : IntraOpThreads, GraphOptimizationLevel = GraphOptimization };
    }
}
