namespace Toolkit.Quantize;

/// <summary>Bad input to the quantizer or its report: the message names the folder, file or node, the problem and what to do (HINT).</summary>
public sealed class QuantizeException(string message, Exception? inner = null) : Exception(message, inner);
