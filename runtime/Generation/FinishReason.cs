namespace Toolkit.Runtime.Generation;

/// <summary>Why a sequence stopped (named as OpenAI's finish_reason where one exists).</summary>
public enum FinishReason
{
    /// <summary>Still generating.</summary>
    None,
    /// <summary>It produced an EOS id (OpenAI "stop").</summary>
    Eos,
    /// <summary>Its text reached a stop string (OpenAI "stop").</summary>
    StopString,
    /// <summary>It reached max_length (OpenAI "length").</summary>
    Length,
}
