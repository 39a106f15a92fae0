namespace Toolkit.Runtime.Ort;

/// <summary>OrtErrorCode of onnxruntime_c_api.h: the kind of failure an <c>OrtStatus*</c> carries.</summary>
public enum OrtErrorCode
{
    Ok = 0,
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    EpFail = 11,
}

/// <summary>
/// A failure reported by ONNX Runtime: <see cref="Code"/> and ORT's own text in <see cref="OrtMessage"/>.
/// <see cref="Exception.Message"/> is ORT's text, or, where the binding knows more (the model file, the input), that
/// context followed by ORT's text and a HINT.
/// </summary>
public sealed class OrtException : Exception
{
    /// <summary>The error code ORT returned.</summary>
    public OrtErrorCode Code { get; }

    /// <summary>ORT's message, unchanged.</summary>
    public string OrtMessage { get; }

    /// <summary>An exception carrying ORT's code and message as they came.</summary>
    public OrtException(OrtErrorCode code, string ortMessage)
        : base($"ONNX Runtime error {code}: {ortMessage}")
    {
        Code = code;
        OrtMessage = ortMessage;
    }

    /// <summary>An exception whose message adds the binding's context (and HINT) to ORT's code and message.</summary>
    public OrtException(OrtErrorCode code, string ortMessage, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
        OrtMessage = ortMessage;
    }
}
