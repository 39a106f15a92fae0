using TorchSharp;
using Toolkit.Train.Engine;

namespace Toolkit.Train.Tests.Engine;

/// <summary>
/// A checkout built by `make` loads TorchSharp 0.107 on libtorch 2.10 from build/torchsharp (patched there on Debian 12),
/// not from a bin/ folder or the NuGet cache, and runs a tensor op.
/// </summary>
public class TorchSharpLoadTests
{
    [Fact]
    public void TorchSharp_loads_libtorch_2_10_from_the_shared_native_folder()
    {
        var folder = TorchSharpNative.Load();
        Assert.StartsWith("2.10.0", torch.__version__);
        using var x = torch.arange(1, 5, dtype: torch.float32);
        Assert.Equal(10f, x.sum().item<float>());
        var maps = File.ReadAllLines("/proc/self/maps").Where(l => l.EndsWith("/libLibTorchSharp.so")).Select(l => l[(l.IndexOf('/'))..]).Distinct().ToList();
        Assert.Equal([Path.GetFullPath(Path.Combine(folder, "libLibTorchSharp.so"))], maps);
        var testBin = Path.GetDirectoryName(typeof(TorchSharpLoadTests).Assembly.Location)!;
        Assert.False(Directory.Exists(Path.Combine(testBin, "runtimes", "linux-x64", "native")) &&
            Directory.EnumerateFiles(Path.Combine(testBin, "runtimes", "linux-x64", "native"), "libtorch_cpu.so").Any(),
            "libtorch was copied into the test's bin/ folder; the natives should live only in build/torchsharp");
    }
}
