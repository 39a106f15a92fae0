using System.Runtime.InteropServices;
using System.Text;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// NUL-terminated UTF-8 strings for C calls. <see cref="Encode"/> gives a pinned-by-array copy for one-off calls
/// (options, names at bind time); <see cref="Utf8Names"/> lays several names out in native memory for Run.
/// </summary>
internal static class Utf8
{
    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> (pin it with <c>fixed</c>).</summary>
    internal static byte[] Encode(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}

/// <summary>
/// An array of <c>const char*</c> over one native block holding the NUL-terminated UTF-8 names, for the
/// <c>input_names</c>/<c>output_names</c> arguments of Run. Owns its memory: dispose it after the call.
/// </summary>
internal unsafe struct Utf8Names : IDisposable
{
    /// <summary>const char* const* — one pointer per name, into the same block.</summary>
    public byte** Pointers;

    public Utf8Names(ReadOnlySpan<string> names)
    {
        var bytes = 0;
        foreach (var n in names) bytes += Encoding.UTF8.GetByteCount(n) + 1;
        // (N pointers)(name bytes ...), one allocation
        var block = (byte*)NativeMemory.Alloc((nuint)(names.Length * sizeof(nint) + bytes));
        Pointers = (byte**)block;
        var p = block + names.Length * sizeof(nint);
        var end = p + bytes;
        for (var i = 0; i < names.Length; i++)
        {
            Pointers[i] = p;
            var written = Encoding.UTF8.GetBytes(names[i], new Span<byte>(p, (int)(end - p)));
            p[written] = 0;
            p += written + 1;
        }
    }

    public void Dispose()
    {
        if (Pointers != null) NativeMemory.Free(Pointers);
        Pointers = null;
    }
}
