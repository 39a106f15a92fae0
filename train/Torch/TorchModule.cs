using System.Runtime.CompilerServices;
using Toolkit.Core.Native;

namespace Toolkit.Train.Torch;

static class TorchModule
{
    /// <summary>
    /// Points <c>[LibraryImport("tk_torch")]</c> at build/native/libtk_torch.so (see <see cref="NativeLibraries"/>). The thread
    /// count is set on the first native call (Native/Native.cs), so code in this assembly that never touches a tensor does
    /// not load libtorch.
    /// </summary>
#pragma warning disable CA2255 // a library module initializer is the intended use here: register before any P/Invoke
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init() => NativeLibraries.Register(typeof(TorchModule).Assembly, Native.Lib.Name, "libtk_torch.so");
}
