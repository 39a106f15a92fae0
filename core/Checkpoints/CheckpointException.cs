namespace Toolkit.Core.Checkpoints;

/// <summary>
/// A checkpoint folder, config file or weight file that cannot be used. The message names the file (and the JSON field
/// or tensor where there is one), says what is wrong and, after "HINT:", what to do about it.
/// </summary>
public class CheckpointException : Exception
{
    /// <summary>The file or folder at fault.</summary>
    public string FilePath { get; }

    public CheckpointException(string filePath, string message) : base(message) => FilePath = filePath;

    public CheckpointException(string filePath, string message, Exception? inner) : base(message, inner) => FilePath = filePath;
}

/// <summary>
/// A safetensors file that is refused: bad header, bad tensor entry, or a tensor asked for that it does not hold.
/// Message layout: <c>safetensors file 'PATH', tensor 'NAME': PROBLEM. HINT: WHAT TO DO</c>.
/// </summary>
public sealed class SafetensorsException : CheckpointException
{
    /// <summary>The tensor at fault, or null when the problem is with the file as a whole.</summary>
    public string? TensorName { get; }

    public SafetensorsException(string filePath, string? tensorName, string problem, string hint, Exception? inner = null)
        : base(filePath, Format(filePath, tensorName, problem, hint), inner) => TensorName = tensorName;

    static string Format(string filePath, string? tensorName, string problem, string hint) =>
        $"safetensors file '{filePath}'" + (tensorName is null ? "" : $", tensor '{tensorName}'") + $": {problem}. HINT: {hint}";

    /// <summary>The hint for a file whose bytes do not follow the format.</summary>
    internal const string CorruptHint =
        "the file is corrupt, truncated or not a safetensors file; download or export it again (a partial download is the usual cause)";
}
