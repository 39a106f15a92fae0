using TorchSharp;
using Toolkit.Train.Engine;

namespace Toolkit.Train.Tests.Engine;

/// <summary>libtorch's CPU autocast through P/Invoke: matmul and linear run in bf16, adds stay fp32, and the scope restores the previous state.</summary>
public class AutocastTests
{
    [Fact]
    public void Matmul_runs_in_bf16_inside_the_scope_and_fp32_after_it()
    {
        TorchSharpNative.Load();
        using var a = torch.randn(8, 16);
        using var b = torch.randn(16, 4);
        Assert.False(Autocast.IsEnabled);
        using (Autocast.Enable())
        {
            Assert.True(Autocast.IsEnabled);
            using var y = a.Matmul(b);
            using var z = torch.nn.functional.linear(a, b.t());
            using var s = a + a;
            Assert.Equal(torch.ScalarType.BFloat16, y.dtype);
            Assert.Equal(torch.ScalarType.BFloat16, z.dtype);
            Assert.Equal(torch.ScalarType.Float32, s.dtype);
            using (Autocast.Enable(false)) Assert.True(Autocast.IsEnabled);   // a disabled scope changes nothing
        }
        Assert.False(Autocast.IsEnabled);
        using var after = a.Matmul(b);
        Assert.Equal(torch.ScalarType.Float32, after.dtype);
    }
}
