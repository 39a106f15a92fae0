using Toolkit.Train.Torch.Native;

namespace Toolkit.Train.Torch;

/// <summary>A libtorch call failed; <see cref="Exception.Message"/> carries libtorch's own message (without its C++ backtrace).</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception with libtorch's message.</summary>
    public TorchException(string message) : base(message) { }

    /// <summary>Takes the calling thread's pending native error (and frees it).</summary>
    internal static TorchException FromNative() =>
        new(Lib.TakeError() ?? "libtk_torch reported a failure but left no message");
}
