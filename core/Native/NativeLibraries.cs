using System.Reflection;
using System.Runtime.InteropServices;

namespace Toolkit.Core.Native;

/// <summary>
/// Where a checkout keeps what `make` lays out under <c>build/</c>: <see cref="RepoRoot"/> finds the repository root, which
/// tests, benchmarks and the CLI use to reach build/ (TorchSharp's natives in <c>build/torchsharp</c>, loaded by
/// <c>Toolkit.Train.Engine.TorchSharpNative</c>; the npm oracles in <c>build/oracles</c>) and the fixtures under tests/.
/// The toolkit builds no native library of its own: libtorch and TorchSharp's wrapper come from the TorchSharp NuGet
/// packages (copied to build/torchsharp by <c>make torchsharp</c>), and ONNX Runtime and ORT-GenAI from their NuGet
/// packages, which put them in the application's runtimes/linux-x64/native folder.
/// <see cref="Register"/> and <see cref="Find"/> resolve a <c>[LibraryImport]</c> name to a file in, in order: the folder
/// named by <c>TOOLKIT_NATIVE_DIR</c>, the application folder, then <c>build/native</c> under the repository root; no
/// project registers one at present.
/// </summary>
public static class NativeLibraries
{
    static readonly string[] SubFolders = ["build/native"];

    /// <summary>
    /// Makes <paramref name="assembly"/>'s <c>[LibraryImport]</c> of <paramref name="libraryName"/> load <paramref name="fileName"/>
    /// from the first folder of the search order that holds it (call once, from a module initializer); other names fall
    /// through to the runtime's default lookup.
    /// </summary>
    public static void Register(Assembly assembly, string libraryName, string fileName)
    {
        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) =>
        {
            if (name != libraryName) return IntPtr.Zero;
            var path = Find(fileName);
            return NativeLibrary.Load(path);
        });
    }

    /// <summary>The full path of <paramref name="fileName"/>, or a <see cref="DllNotFoundException"/> that says where it looked and what to run.</summary>
    public static string Find(string fileName)
    {
        var tried = new List<string>();
        foreach (var dir in Candidates())
        {
            var path = Path.Combine(dir, fileName);
            tried.Add(path);
            if (File.Exists(path)) return path;
        }
        throw new DllNotFoundException(
            $"native library '{fileName}' not found; looked in:\n  {string.Join("\n  ", tried)}\n" +
            "HINT: put the library in one of those folders, or set TOOLKIT_NATIVE_DIR to the folder that holds it.");
    }

    static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("TOOLKIT_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return AppContext.BaseDirectory;
        if (RepoRoot() is { } root)
            foreach (var sub in SubFolders)
                yield return Path.Combine(root, sub);
    }

    /// <summary>
    /// The repository root: <c>TOOLKIT_ROOT</c> if set, else the first ancestor of the application folder (then of the
    /// working directory) that holds Toolkit.sln; null outside a checkout.
    /// </summary>
    public static string? RepoRoot()
    {
        var env = Environment.GetEnvironmentVariable("TOOLKIT_ROOT");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        return null;
    }
}
