using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Model-file errors a user can act on: the file named, what we can tell about it (missing, a folder, empty, a Git
/// LFS pointer), ONNX Runtime's own message and a HINT. ONNX Runtime names the file only when it is missing; for a
/// corrupt one it says "Protobuf parsing failed" and nothing else.
/// </summary>
public static class ModelFiles
{
    /// <summary>
    /// Throws <see cref="ModelFileException"/> when <paramref name="path"/> cannot be a model: missing, a folder, empty,
    /// or a Git LFS pointer. A file that passes may still be corrupt (<see cref="ForLoadFailure"/> then explains).
    /// </summary>
    public static void Check(string path)
    {
        if (Problem(path) is { } p) throw new ModelFileException(path, $"ONNX model '{path}' {p.What}.\nHINT: {p.Hint}");
    }

    /// <summary>The error for ONNX Runtime failing to load <paramref name="path"/> with <paramref name="e"/>.</summary>
    public static ModelFileException ForLoadFailure(string path, Exception e)
    {
        var (what, hint) = Problem(path) ?? ($"({new FileInfo(path).Length} bytes) could not be loaded", Hint(e.Message));
        return new ModelFileException(path, $"ONNX model '{path}' {what}.\nONNX Runtime says: {e.Message}\nHINT: {hint}", e);
    }

    static (string What, string Hint)? Problem(string path)
    {
        if (Directory.Exists(path)) return ("is a folder, not a model file", "pass the model file inside the folder (usually model.onnx).");
        if (!File.Exists(path)) return ("does not exist", "check the path; `toolkit export` writes model.onnx into its output folder.");
        var size = new FileInfo(path).Length;
        if (size == 0) return ("is empty (0 bytes)", "the write that produced it failed or was interrupted; re-export the model.");
        if (LooksLikeLfsPointer(path))
            return ($"({size} bytes) is a Git LFS pointer, not the model", "run `git lfs pull` (or download the real file).");
        return null;
    }

    static string Hint(string message) =>
        message.Contains("[ErrorCode:InvalidProtobuf]", StringComparison.Ordinal) || message.Contains("Protobuf parsing failed", StringComparison.Ordinal)
            ? "this is not a valid ONNX protobuf (truncated copy, wrong file, or another format); re-export it, or check it with " +
              "/usr/bin/python3 -c \"import onnx; onnx.checker.check_model('FILE')\"."
            : message.Contains("[ErrorCode:NotImplemented]", StringComparison.Ordinal)
            ? "the model uses an op or type this CPU build of ONNX Runtime does not implement; export with supported ops."
            : $"the file parsed but ONNX Runtime {OrtEnv.Instance().GetVersionString()} rejects the graph: check the opset and the ops it uses " +
              "(and that any external data file sits beside it).";

    static bool LooksLikeLfsPointer(string path)
    {
        var head = new byte[64];
        using var f = File.OpenRead(path);
        var n = f.Read(head);
        return Encoding.ASCII.GetString(head, 0, n).StartsWith("version https://git-lfs", StringComparison.Ordinal);
    }
}

/// <summary>A model file that cannot be loaded; <see cref="Exception.Message"/> names <see cref="Path"/> and what to do.</summary>
public sealed class ModelFileException(string path, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The model file.</summary>
    public string Path { get; } = path;
}
