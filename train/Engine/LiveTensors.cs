using static TorchSharp.torch;

namespace Toolkit.Train.Engine;

/// <summary>
/// Live-tensor accounting on TorchSharp, for leak checks around training steps. <see cref="Count"/> is TorchSharp's
/// process-wide count of managed tensor wrappers not yet disposed or finalized (<c>Tensor.TotalCount</c>). It drifts by
/// +1 for every <c>Parameter</c> ever created (TorchSharp moves the source tensor's handle without a decrement), so compare
/// counts taken after the parameters and optimizer exist: a step that frees what it makes leaves <see cref="Count"/>
/// where it found it.
/// </summary>
public static class LiveTensors
{
    /// <summary>Managed tensor wrappers alive in this process (all threads).</summary>
    public static long Count => Tensor.TotalCount;

    /// <summary>How many tensors <paramref name="step"/> left alive (0 when it frees what it makes); runs it once.</summary>
    public static long Leaked(Action step)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Count;
        step();
        return Count - before;
    }
}
