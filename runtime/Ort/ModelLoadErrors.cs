using System.Text;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Turns ORT's failure to create a session into a message a user can act on: the file (or bytes) it was about, what
/// we can tell about it (missing, empty, a Git LFS pointer), ORT's own message, and a HINT. ORT names the file only
/// when it is missing; for a corrupt one it says "Protobuf parsing failed" and nothing else.
/// </summary>
internal static class ModelLoadErrors
{
    internal static OrtException ForFile(string path, OrtException e)
    {
        string what, hint;
        if (!File.Exists(path))
        {
            what = Directory.Exists(path) ? "is a folder, not a model file" : "does not exist";
            hint = Directory.Exists(path)
                ? "pass the model file inside the folder (usually model.onnx)."
                : "check the path; `toolkit export` writes model.onnx into its output folder.";
        }
        else
        {
            var size = new FileInfo(path).Length;
            what = $"({size} bytes) could not be loaded";
            hint = size == 0 ? "the file is empty: the write that produced it failed or was interrupted; re-export the model."
                : LooksLikeLfsPointer(path) ? "the file is a Git LFS pointer, not the model: run `git lfs pull` (or download the real file)."
                : Hint(e.Code);
        }
        return new OrtException(e.Code, e.OrtMessage,
            $"ONNX model '{path}' {what}.\nONNX Runtime says ({e.Code}): {e.OrtMessage}\nHINT: {hint}", e);
    }

    internal static OrtException ForBytes(string source, OrtException e) =>
        new(e.Code, e.OrtMessage,
            $"ONNX model from {source} could not be loaded.\nONNX Runtime says ({e.Code}): {e.OrtMessage}\nHINT: {Hint(e.Code)}", e);

    static string Hint(OrtErrorCode code) => code switch
    {
        OrtErrorCode.InvalidProtobuf =>
            "this is not a valid ONNX protobuf (truncated copy, wrong file, or another format); re-export it, or check it with " +
            "/usr/bin/python3 -c \"import onnx; onnx.checker.check_model('FILE')\".",
        OrtErrorCode.InvalidGraph or OrtErrorCode.Fail or OrtErrorCode.InvalidArgument =>
            "the file parsed but ONNX Runtime 1.30 rejects the graph: check the opset and the ops it uses (and that any " +
            "external data file sits beside it).",
        OrtErrorCode.NotImplemented =>
            "the model uses an op or type this CPU build of ONNX Runtime does not implement; export with supported ops.",
        _ => "check the file with /usr/bin/python3 -c \"import onnx; onnx.checker.check_model('FILE')\".",
    };

    static bool LooksLikeLfsPointer(string path)
    {
        var head = new byte[64];
        using var f = File.OpenRead(path);
        var n = f.Read(head);
        return Encoding.ASCII.GetString(head, 0, n).StartsWith("version https://git-lfs", StringComparison.Ordinal);
    }
}
