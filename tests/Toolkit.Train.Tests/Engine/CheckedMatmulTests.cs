using TorchSharp;
using Toolkit.Train.Engine;

namespace Toolkit.Train.Tests.Engine;

/// <summary>
/// A wrong-shape matmul through our code is a C# exception naming both shapes, and the process goes on (TorchSharp's own
/// Tensor.matmul terminates the process on the same input: its native wrapper catches nothing).
/// </summary>
public class CheckedMatmulTests
{
    [Fact]
    public void Wrong_shapes_throw_an_ArgumentException_and_the_next_matmul_works()
    {
        TorchSharpNative.Load();
        using var a = torch.ones(2, 3, 4);
        using var b = torch.ones(5, 6);
        var e = Assert.Throws<ArgumentException>(() => a.Matmul(b));
        Assert.Contains("[2, 3, 4] and [5, 6]", e.Message);
        Assert.Contains("inner sizes differ (4 vs 5)", e.Message);
        using var c = torch.ones(3, 1, 4, 5);
        using var d = torch.ones(2, 5, 7);
        using var e2 = torch.ones(2, 4, 5, 7);
        Assert.Contains("batch dimensions do not broadcast (3 vs 2)", Assert.Throws<ArgumentException>(() => c.Matmul(e2)).Message);
        using var ok = c.Matmul(d);                                                  // batch [3,1] with [2] broadcasts to [3,2]
        Assert.Equal([3L, 2, 4, 7], ok.shape);
        Assert.Equal(5f, ok[0, 0, 0, 0].item<float>());
        using var v = torch.ones(4);
        using var av = a.Matmul(v);
        Assert.Equal([2L, 3], av.shape);
    }
}
