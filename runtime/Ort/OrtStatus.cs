using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Turns an <c>OrtStatus*</c> into an <see cref="OrtException"/>: null means success; otherwise the code and message are
/// read, the status is released (always, in <c>finally</c>) and the exception thrown. Every status-returning call of
/// the binding goes through <see cref="Check(nint)"/>.
/// </summary>
internal static unsafe class OrtStatus
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Check(nint status /* OrtStatus* */)
    {
        if (status != 0) Throw(status);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Throw(nint status /* OrtStatus* */) => throw ToException(status);

    /// <summary>Reads and releases a non-null status; the caller throws the result.</summary>
    internal static OrtException ToException(nint status /* OrtStatus* */)
    {
        try
        {
            var code = (OrtErrorCode)OrtApi.GetErrorCode(status);
            var message = Marshal.PtrToStringUTF8((nint)OrtApi.GetErrorMessage(status)) ?? "(no message)";
            return new OrtException(code, message);
        }
        finally
        {
            OrtApi.ReleaseStatus(status);
        }
    }
}
