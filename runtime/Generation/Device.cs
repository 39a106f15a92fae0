namespace Toolkit.Runtime.Generation;

/// <summary>Where ORT-GenAI runs the model (<c>--device</c>).</summary>
public enum Device
{
    /// <summary>The CPU execution provider (the packages this project references).</summary>
    Cpu,

    /// <summary>
    /// CUDA. Needs ORT-GenAI's CUDA build (NuGet <c>Microsoft.ML.OnnxRuntimeGenAI.Cuda</c> with
    /// <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c>) in place of the CPU packages; with the CPU build, loading fails with an
    /// error naming them.
    /// </summary>
    Cuda,
}
