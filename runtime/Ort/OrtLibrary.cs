using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Toolkit.Core.Native;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Loads <c>libonnxruntime.so.1</c> (ONNX Runtime 1.30 CPU, put in build/ort by <c>make ort</c>) and hands out its
/// <c>OrtApi</c> table. The library's only export is <c>OrtGetApiBase</c>; everything else goes through the table
/// (<see cref="OrtApi"/>). At first use we request <see cref="OrtApiVersion"/>; an older library refuses and we throw
/// an exception saying which version it offers, which we need, and what to do.
/// </summary>
public static unsafe partial class OrtLibrary
{
    /// <summary>ORT_API_VERSION this binding is written against (ONNX Runtime 1.30; the header's version equals the minor release).</summary>
    public const uint OrtApiVersion = 30;

    /// <summary>The file name the resolver looks for (see <see cref="NativeLibraries"/>).</summary>
    public const string FileName = "libonnxruntime.so.1";

    /// <summary>OrtApiBase = { const OrtApi* (*GetApi)(uint32_t version); const char* (*GetVersionString)(void); }</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct OrtApiBase
    {
        public delegate* unmanaged<uint, nint /* const OrtApi* */> GetApi;
        public delegate* unmanaged<byte* /* const char* */> GetVersionString;
    }

    // A library registering its own native resolver is what a module initializer is for here (CA2255 warns about
    // initializers in libraries in general): it must run before the first [LibraryImport] call of this assembly.
#pragma warning disable CA2255
    [ModuleInitializer]
    internal static void RegisterResolver() => NativeLibraries.Register(typeof(OrtLibrary).Assembly, "onnxruntime", FileName);
#pragma warning restore CA2255

    /// <summary>const OrtApiBase* OrtGetApiBase(void)</summary>
    [LibraryImport("onnxruntime")]
    private static partial OrtApiBase* OrtGetApiBase();

    /// <summary>The version string of the loaded library, e.g. "1.30.0".</summary>
    public static string Version => Marshal.PtrToStringUTF8((nint)OrtGetApiBase()->GetVersionString())!;

    /// <summary>Loads the library now (it otherwise loads at first use) and checks its API version.</summary>
    public static void EnsureLoaded() => OrtApi.EnsureLoaded();

    /// <summary>The <c>const OrtApi*</c> for <see cref="OrtApiVersion"/>, or an exception built by <see cref="VersionMismatchMessage"/>.</summary>
    internal static nint ApiTable()
    {
        var baseApi = OrtGetApiBase();
        var api = baseApi->GetApi(OrtApiVersion);
        if (api != 0) return api;
        var offered = Marshal.PtrToStringUTF8((nint)baseApi->GetVersionString()) ?? "unknown";
        string? path;
        try { path = NativeLibraries.Find(FileName); } catch (DllNotFoundException) { path = null; }
        throw new NotSupportedException(VersionMismatchMessage(offered, OrtApiVersion, path));
    }

    /// <summary>
    /// The message for a library that refuses our API version: what it offers, what we need, where it was found and
    /// what to do. Public so that tests check the words without breaking the library.
    /// </summary>
    public static string VersionMismatchMessage(string offeredVersion, uint neededApiVersion, string? libraryPath) =>
        $"ONNX Runtime {offeredVersion}{(libraryPath is null ? "" : $" (loaded from {libraryPath})")} refuses C API " +
        $"version {neededApiVersion}; this toolkit needs ORT_API_VERSION {neededApiVersion}, i.e. ONNX Runtime " +
        $"1.{neededApiVersion} or newer.\n" +
        $"HINT: run `make ort` at the repository root (it puts ONNX Runtime 1.{neededApiVersion}.0 in build/ort), or set " +
        $"TOOLKIT_NATIVE_DIR to a folder holding {FileName} of version 1.{neededApiVersion} or newer.";
}
