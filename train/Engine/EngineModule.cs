using System.Runtime.CompilerServices;
using TorchSharp;

namespace Toolkit.Train.Engine;

/// <summary>
/// Loads TorchSharp's natives (<see cref="TorchSharpNative.Load"/>) when this assembly is first used, before any of its
/// code touches <c>torch</c>, so every process that uses the train library (CLI, tests, benchmarks) gets libtorch 2.10
/// from build/torchsharp. A failure is not thrown here (it would make every type of the assembly unusable, also for
/// commands that need no tensors): the first tensor use, <see cref="TorchSharpNative.Load"/> again or
/// <see cref="TorchDevice.Resolve"/>, reports it with its hint. <c>TOOLKIT_THREADS</c> (&gt; 0) sets libtorch's intra-op
/// threads of the loading thread; TorchSharp's default is one per core.
/// </summary>
static class EngineModule
{
#pragma warning disable CA2255 // a library module initializer is the intended use here: load the natives before any torch call
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init()
    {
        if (!TorchSharpNative.TryLoad()) return;
        if (int.TryParse(Environment.GetEnvironmentVariable("TOOLKIT_THREADS"), out var n) && n > 0) torch.set_num_threads(n);
    }
}
