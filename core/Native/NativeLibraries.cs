using System.Reflection;
using System.Runtime.InteropServices;

namespace Toolkit.Core.Native;

/// <summary>
/// Finds the toolkit's native libraries, which `make` builds or extracts under <c>build/</c> at the repository root:
/// <c>build/native/libtk_torch.so</c> (the libtorch shim). ONNX Runtime and ORT-GenAI are not looked up here: their
/// NuGet packages put them in the application's runtimes/linux-x64/native folder.
/// Search order: the folder named by <c>TOOLKIT_NATIVE_DIR</c>, the application folder, then <c>build/native</c>
/// under the repository root (see <see cref="RepoRoot"/>), so tests, benchmarks and the CLI run from a checkout.
/// </summary>
public static class NativeLibraries
{
    static readonly string[] SubFolders = ["build/native"];

    /// <summary>Registers the resolver for <paramref name="assembly"/>'s <c>[LibraryImport]</c> names (call once, from a module initializer).</summary>
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
            "HINT: run `make setup` at the repository root (it builds the libtorch shim), " +
            "or set TOOLKIT_NATIVE_DIR to the folder that holds it.");
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
