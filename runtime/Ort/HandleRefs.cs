using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Holds a SafeHandle reference for the length of a native call (what P/Invoke marshalling does for SafeHandle
/// parameters): a value disposed on another thread is not freed under ORT's feet, and a disposed one fails here with
/// <see cref="ObjectDisposedException"/> instead of crashing in native code.
/// </summary>
internal readonly ref struct HandleRef
{
    readonly SafeHandle? _h;

    /// <summary>Adds a reference to <paramref name="h"/> (null → a null pointer, for optional arguments).</summary>
    public HandleRef(SafeHandle? h)
    {
        if (h is null) return;
        var ok = false;
        h.DangerousAddRef(ref ok);
        _h = h;
    }

    /// <summary>The raw pointer, valid until <see cref="Dispose"/>.</summary>
    public nint Pointer => _h?.DangerousGetHandle() ?? 0;

    public void Dispose() => _h?.DangerousRelease();
}

/// <summary>References on several handles at once, their pointers written to a caller-provided array.</summary>
internal static class HandleRefs
{
    /// <summary>Adds a reference to each non-null entry and writes its pointer (0 for null); returns how many were taken.</summary>
    public static int Add(ReadOnlySpan<OrtValue?> values, Span<nint> pointers)
    {
        var i = 0;
        try
        {
            for (; i < values.Length; i++)
            {
                var v = values[i];
                if (v is null) { pointers[i] = 0; continue; }
                var ok = false;
                v.DangerousAddRef(ref ok);
                pointers[i] = v.DangerousGetHandle();
            }
            return i;
        }
        catch
        {
            Release(values[..i]);
            throw;
        }
    }

    /// <summary>Releases the references <see cref="Add"/> took.</summary>
    public static void Release(ReadOnlySpan<OrtValue?> values)
    {
        foreach (var v in values) v?.DangerousRelease();
    }
}
