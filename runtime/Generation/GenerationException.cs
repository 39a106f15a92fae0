namespace Toolkit.Runtime.Generation;

/// <summary>
/// Generation cannot go on as asked: a search option out of range, a prompt longer than max_length, a model folder whose
/// graph does not fit the engine. The message says what is wrong and, after "HINT:", what to do (as ORT-GenAI's
/// OnnxRuntimeGenAIException, whose place this takes).
/// </summary>
public sealed class GenerationException : Exception
{
    public GenerationException(string message, Exception? inner = null) : base(message, inner) { }
}
