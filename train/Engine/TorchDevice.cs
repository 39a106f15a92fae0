using TorchSharp;

namespace Toolkit.Train.Engine;

/// <summary>Where tensors live: <c>--device cpu|cuda</c>.</summary>
public enum DeviceKind
{
    /// <summary>The CPU build of libtorch (libtorch-cpu-linux-x64), always available.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through the CUDA build of libtorch (TorchSharp's CUDA package).</summary>
    Cuda,
}

/// <summary>
/// Resolves <see cref="DeviceKind"/> to a TorchSharp device, or says what is missing. <c>cuda</c> needs two things: the
/// CUDA build of libtorch laid out in the native folder (<c>libtorch_cuda.so</c>; NuGet <c>libtorch-cuda-12.8-linux-x64</c>
/// 2.10.0 in place of <c>libtorch-cpu-linux-x64</c>, which this project's feed does not serve) and a visible GPU
/// (<c>torch.cuda.is_available()</c>). Either missing → <see cref="NotSupportedException"/> naming it and what to do.
/// </summary>
public static class TorchDevice
{
    /// <summary>The device for <paramref name="kind"/>; <paramref name="nativeFolder"/> defaults to <see cref="TorchSharpNative.Folder"/>.</summary>
    public static torch.Device Resolve(DeviceKind kind, string? nativeFolder = null)
    {
        if (kind == DeviceKind.Cpu) { TorchSharpNative.Load(); return torch.CPU; }
        var folder = nativeFolder ?? TorchSharpNative.Folder();
        if (!File.Exists(Path.Combine(folder, "libtorch_cuda.so")))
            throw new NotSupportedException(
                $"--device cuda: the CUDA build of libtorch is not installed ({folder} has no libtorch_cuda.so; this checkout " +
                "references the CPU package libtorch-cpu-linux-x64 2.10.0). Use --device cpu, or reference TorchSharp's CUDA " +
                "package (libtorch-cuda-12.8-linux-x64 2.10.0, TorchSharp-cuda-linux) in place of libtorch-cpu-linux-x64 in " +
                "Directory.Packages.props and train/Toolkit.Train.csproj, then rerun `make torchsharp`.");
        TorchSharpNative.Load();
        if (!torch.cuda.is_available())
            throw new NotSupportedException(
                "--device cuda: the CUDA build of libtorch is installed but no CUDA GPU is visible (torch.cuda.is_available() " +
                $"is false; NVIDIA driver {(File.Exists("/proc/driver/nvidia/version") ? "loaded" : "not loaded: no /proc/driver/nvidia/version")}, " +
                $"CUDA_VISIBLE_DEVICES={Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "(unset)"}). " +
                "Use --device cpu, or run on a machine with an NVIDIA GPU and driver.");
        return torch.CUDA;
    }
}
