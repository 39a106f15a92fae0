namespace Toolkit.Core.Onnx;

/// <summary>
/// An ONNX model file, its external data or a genai_config.json that cannot be used. The message names the file (and the
/// tensor or JSON field where there is one), says what is wrong and, after "HINT:", what to do about it.
/// </summary>
public sealed class OnnxException : Exception
{
    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    public OnnxException(string filePath, string message, Exception? inner = null) : base(message, inner) => FilePath = filePath;
}
