namespace Toolkit.Core.Tokenizers;

/// <summary>
/// A tokenizer file that cannot be used: malformed JSON, a missing field, or a component this reader does not implement.
/// Message layout: <c>tokenizer file 'PATH', at JSON path '$.model.type': PROBLEM. HINT: WHAT TO DO</c>.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The JSON path of the offending value (e.g. <c>$.pre_tokenizer.pretokenizers[1].type</c>), or "$" for the whole file.</summary>
    public string JsonPath { get; }

    public TokenizerFormatException(string filePath, string jsonPath, string problem, string hint, Exception? inner = null)
        : base($"tokenizer file '{filePath}', at JSON path '{jsonPath}': {problem}. HINT: {hint}", inner)
    {
        FilePath = filePath;
        JsonPath = jsonPath;
    }
}
