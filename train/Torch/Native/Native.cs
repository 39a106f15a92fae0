using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

/// <summary>
/// P/Invoke declarations for libtk_torch.so (train/native), one partial file per native area; every name is the C
/// export's name, so one grep follows a call from C# to C++. Handles in: <see cref="TensorHandle"/> (marshalled with
/// AddRef/Release, so a tensor cannot be freed mid-call). Handles out: <c>nint</c>, wrapped at once by <see cref="Tensor"/>.
/// Failure values (NULL handle, -1 status) are turned into <see cref="TorchException"/> by the <c>Check</c> helpers.
/// </summary>
internal static unsafe partial class Lib
{
    internal const string Name = "tk_torch";

    /// <summary>First use of the library: set libtorch's intra-op threads (Debian's build starts with one).</summary>
    static Lib()
    {
        var env = Environment.GetEnvironmentVariable("TOOLKIT_THREADS");
        var threads = int.TryParse(env, out var n) && n > 0 ? n : Environment.ProcessorCount;
        tk_set_num_threads(threads);
    }

    // ---- common (tk_common.cpp) ----
    [LibraryImport(Name)] internal static partial nint /* char* */ tk_error_take();
    [LibraryImport(Name)] internal static partial void tk_string_free(nint /* char* */ s);
    [LibraryImport(Name)] internal static partial long tk_tensor_live_count();
    [LibraryImport(Name)] internal static partial void tk_tensor_free(nint /* tk_tensor_t */ t);
    [LibraryImport(Name)] internal static partial int tk_set_num_threads(int n);
    [LibraryImport(Name)] internal static partial int tk_get_num_threads();
    [LibraryImport(Name)] internal static partial int tk_manual_seed(long seed);

    /// <summary>A fresh tensor handle, or the pending native error as a <see cref="TorchException"/>.</summary>
    internal static nint Check(nint handle) => handle != 0 ? handle : throw TorchException.FromNative();

    /// <summary>A non-negative result, or the pending native error as a <see cref="TorchException"/>.</summary>
    internal static int Check(int status) => status >= 0 ? status : throw TorchException.FromNative();

    /// <inheritdoc cref="Check(int)"/>
    internal static long Check(long status) => status >= 0 ? status : throw TorchException.FromNative();

    /// <summary>Takes (and frees) the thread's pending native error message; null when there is none.</summary>
    internal static string? TakeError()
    {
        var p = tk_error_take();
        if (p == 0) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { tk_string_free(p); }
    }
}
