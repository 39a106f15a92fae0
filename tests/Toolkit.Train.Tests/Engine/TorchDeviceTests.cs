using TorchSharp;
using Toolkit.Train.Engine;

namespace Toolkit.Train.Tests.Engine;

/// <summary>--device cuda without the CUDA package, or without a GPU, is an error that names what is missing.</summary>
public class TorchDeviceTests
{
    [Fact]
    public void Cpu_resolves_and_cuda_names_the_missing_package_or_gpu()
    {
        Assert.Equal(DeviceType.CPU, TorchDevice.Resolve(DeviceKind.Cpu).type);
        var noPackage = Assert.Throws<NotSupportedException>(() => TorchDevice.Resolve(DeviceKind.Cuda));
        Assert.Contains("CUDA build of libtorch is not installed", noPackage.Message);
        Assert.Contains("libtorch-cuda-12.8-linux-x64", noPackage.Message);
        Assert.Contains("--device cpu", noPackage.Message);

        // a folder that looks like the CUDA layout, on this CPU libtorch: is_available() is false → the GPU is what is missing
        var fake = Path.Combine(Path.GetTempPath(), $"tk-fake-cuda-{Environment.ProcessId}");
        Directory.CreateDirectory(fake);
        File.WriteAllBytes(Path.Combine(fake, "libtorch_cuda.so"), []);
        try
        {
            var noGpu = Assert.Throws<NotSupportedException>(() => TorchDevice.Resolve(DeviceKind.Cuda, fake));
            Assert.Contains("no CUDA GPU is visible", noGpu.Message);
        }
        finally { Directory.Delete(fake, true); }
    }
}
