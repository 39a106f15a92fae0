using System.Runtime.CompilerServices;
using Toolkit.Train.Engine;

namespace Toolkit.Quantize.Tests;

/// <summary>
/// Loads libtorch 2.10 and TorchSharp's natives from build/torchsharp (TorchSharpNative) when this test assembly loads,
/// before any test touches <c>TorchSharp.torch</c>: TorchSharp's own loader would look for natives in bin/ (not copied
/// there) and leave <c>torch</c> unusable for the rest of the process.
/// </summary>
static class TorchSharpSetup
{
#pragma warning disable CA2255 // a test assembly is the application here: its tests need the natives before any torch call
    [ModuleInitializer]
    internal static void Load() => TorchSharpNative.Load();
#pragma warning restore CA2255
}
