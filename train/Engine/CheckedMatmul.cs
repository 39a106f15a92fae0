using TorchSharp;

namespace Toolkit.Train.Engine;

/// <summary>
/// <c>torch.matmul</c> with its shape rules checked in C# first. TorchSharp 0.107's native <c>THSTensor_matmul</c> catches
/// no C++ exception, so a shape error there terminates the process; through <see cref="Matmul"/> it is an
/// <see cref="ArgumentException"/> naming both shapes, and the process goes on. Rules (PyTorch's): 1-D·1-D needs equal
/// lengths; otherwise the last dimension of the first operand must equal the second-to-last of
/// the second (its only one if 1-D), and the leading (batch) dimensions must broadcast.
/// </summary>
public static class CheckedMatmul
{
    /// <summary><paramref name="a"/> @ <paramref name="b"/>; a fresh tensor. Throws <see cref="ArgumentException"/> on a shape mismatch.</summary>
    public static torch.Tensor Matmul(this torch.Tensor a, torch.Tensor b)
    {
        Check(a.shape, b.shape);
        return a.matmul(b);
    }

    /// <summary>Throws <see cref="ArgumentException"/> unless shapes <paramref name="a"/> and <paramref name="b"/> can be matmul'ed.</summary>
    public static void Check(long[] a, long[] b)
    {
        string Fail(string why) => $"matmul of shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}]: {why}";
        if (a.Length == 0 || b.Length == 0) throw new ArgumentException(Fail("both operands need at least one dimension"));
        var inner = a[^1];
        var other = b.Length == 1 ? b[0] : b[^2];
        if (inner != other)
            throw new ArgumentException(Fail($"the inner sizes differ ({inner} vs {other}); the last dimension of the first must equal " +
                (b.Length == 1 ? "the length of the second" : "the second-to-last of the second")));
        var ba = a.Length > 2 ? a[..^2] : [];
        var bb = b.Length > 2 ? b[..^2] : [];
        for (int i = 1; i <= Math.Min(ba.Length, bb.Length); i++)
        {
            long x = ba[^i], y = bb[^i];
            if (x != y && x != 1 && y != 1)
                throw new ArgumentException(Fail($"batch dimensions do not broadcast ({x} vs {y})"));
        }
    }
}
