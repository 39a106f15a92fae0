using Microsoft.ML.OnnxRuntime;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Opens <see cref="InferenceSession"/>s (Microsoft.ML.OnnxRuntime 1.31, native library from the package's
/// runtimes/linux-x64/native) with errors that name the model file.
/// </summary>
public static class Sessions
{
    /// <summary>A session over <paramref name="path"/> with <paramref name="settings"/> (default: <see cref="SessionSettings"/>'s defaults).</summary>
    /// <exception cref="ModelFileException">The file is missing, a folder, empty, a Git LFS pointer or not a loadable ONNX model.</exception>
    public static InferenceSession Open(string path, SessionSettings? settings = null)
    {
        ModelFiles.Check(path);
        using var options = (settings ?? new SessionSettings()).ToSessionOptions();
        try { return new InferenceSession(path, options); }
        catch (OnnxRuntimeException e) { throw ModelFiles.ForLoadFailure(path, e); }
    }
}
