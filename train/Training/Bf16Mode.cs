namespace Toolkit.Train.Training;

/// <summary>Option <c>bf16</c>: whether matmuls run under CPU bf16 autocast.</summary>
public enum Bf16Mode
{
    /// <summary>On only where this CPU runs bf16 GEMM faster than fp32, decided by <see cref="Bf16Policy"/>. Default.</summary>
    Auto,
    /// <summary>Always on; warns where bf16 is measured slower.</summary>
    True,
    /// <summary>Always off: exact fp32.</summary>
    False,
}
