using System.Runtime.InteropServices;
using Toolkit.Core.Native;

namespace Toolkit.Train.Engine;

/// <summary>
/// Loads libtorch 2.10 (<c>libtorch_cpu.so</c>) and TorchSharp's wrapper (<c>libLibTorchSharp.so</c>) from one shared
/// folder before TorchSharp's own loader runs, so no build output carries its own 500 MB copy and TorchSharp never copies
/// the package natives into a <c>cpu/</c> folder. Folder: <c>TOOLKIT_TORCHSHARP_DIR</c>, else <c>build/torchsharp</c>
/// under the repository root (<see cref="NativeLibraries.RepoRoot"/>), which <c>make torchsharp</c> lays out with
/// train/TorchCompat/install.sh (on Debian 12 that copy of libLibTorchSharp.so is patched: see the README).
/// TorchSharp then binds its <c>[DllImport("LibTorchSharp")]</c> calls to the already-loaded library (same SONAME).
/// <para>Before loading, <c>MKL_CBWR=AUTO,STRICT</c> is put in the process environment unless already set: libtorch 2.10's
/// CPU build runs fp32 GEMM on its bundled MKL, whose results otherwise vary from run to run in the last bits (seen here
/// at one thread: two identical `toolkit train dpo` runs differed by 5e-7 in the step-1 loss), which breaks bit-exact
/// resume. MKL's strict conditional-numerical-reproducibility mode keeps its fastest code path for the CPU.</para>
/// </summary>
public static partial class TorchSharpNative
{
    /// <summary>The folder under the repository root that `make torchsharp` fills.</summary>
    public const string SubFolder = "build/torchsharp";

    static readonly Lock Gate = new();
    static string? _folder;
    static nint _torchCpu;

    /// <summary>The loaded <c>libtorch_cpu.so</c> handle (for symbols TorchSharp does not bind, e.g. autocast); loads first.</summary>
    public static nint TorchCpu { get { Load(); return _torchCpu; } }

    /// <summary>
    /// Loads the natives once per process (thread-safe) and returns their folder. Throws <see cref="DllNotFoundException"/>
    /// naming the folder, the loader's message and what to run when the folder or a library is missing or refused.
    /// </summary>
    public static string Load()
    {
        lock (Gate)
        {
            if (_folder != null) return _folder;
            var folder = Folder();
            if (Environment.GetEnvironmentVariable("MKL_CBWR") is null && SetEnv("MKL_CBWR", "AUTO,STRICT", 0) == 0)
                Environment.SetEnvironmentVariable("MKL_CBWR", "AUTO,STRICT");   // child processes inherit it too
            _torchCpu = LoadOne(folder, "libtorch_cpu.so");
            if (File.Exists(Path.Combine(folder, "libtorch_cuda.so"))) LoadOne(folder, "libtorch_cuda.so");   // the CUDA package's layout
            LoadOne(folder, "libLibTorchSharp.so");
            _folder = folder;
            return folder;
        }
    }

    /// <summary>
    /// <see cref="Load"/> without throwing: false when the natives are missing or refused (the next <see cref="Load"/>
    /// throws the error with its hint). For process entry points that must load libtorch before any <c>torch</c> use but
    /// also serve commands that need no tensors.
    /// </summary>
    public static bool TryLoad()
    {
        try { Load(); return true; }
        catch (DllNotFoundException) { return false; }
    }

    /// <summary>libc's setenv: changes the native environment that MKL reads (.NET's own setter keeps a managed copy).</summary>
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>The folder the natives load from (not checked for content).</summary>
    public static string Folder()
    {
        var env = Environment.GetEnvironmentVariable("TOOLKIT_TORCHSHARP_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        if (NativeLibraries.RepoRoot() is { } root) return Path.Combine(root, SubFolder);
        throw new DllNotFoundException(
            "TorchSharp's native folder not found: no repository root (Toolkit.sln above the application folder or the working " +
            "directory) and TOOLKIT_TORCHSHARP_DIR is not set. HINT: run `make torchsharp` in the checkout, or set " +
            "TOOLKIT_TORCHSHARP_DIR to a folder holding libtorch_cpu.so and libLibTorchSharp.so.");
    }

    static nint LoadOne(string folder, string file)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
            throw new DllNotFoundException($"{path} not found. HINT: run `make torchsharp` at the repository root (it lays out " +
                "libtorch 2.10 and TorchSharp's natives there from the NuGet packages), or set TOOLKIT_TORCHSHARP_DIR.");
        try { return NativeLibrary.Load(path); }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException($"{path} did not load: {e.Message}. HINT: rerun `make torchsharp`; on a libstdc++ " +
                "older than GCC 13 it patches this copy (GLIBCXX_3.4.32, see README 'TorchSharp on Debian 12').", e);
        }
    }
}
