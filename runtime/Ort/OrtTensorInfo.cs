using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// A model input or output as the session declares it: name, element type and dims, where a symbolic dim
/// ("batch_size") reads -1 in <see cref="Dims"/> and its name sits at the same position in <see cref="SymbolicDims"/>
/// (empty string for fixed dims). Non-tensor inputs (sequences, maps) have <see cref="OrtElementType.Undefined"/> and no dims.
/// </summary>
public sealed record OrtNodeInfo(string Name, OrtElementType ElementType, long[] Dims, string[] SymbolicDims)
{
    /// <summary>"input_ids: Int64 [batch_size, sequence_length]".</summary>
    public override string ToString() =>
        $"{Name}: {ElementType} [{string.Join(", ", Dims.Select((d, i) => d >= 0 ? d.ToString() : SymbolicDims[i] is { Length: > 0 } s ? s : "?"))}]";
}

/// <summary>Reads an <c>OrtTensorTypeAndShapeInfo*</c> (borrowed: the caller releases or owns it).</summary>
internal static unsafe class OrtTensorInfo
{
    /// <summary>Element type, dims (-1 where symbolic) and, if <paramref name="symbolic"/>, the dim names ("" for fixed dims; else an empty array).</summary>
    internal static (OrtElementType Type, long[] Dims, string[] Symbolic) Read(nint info /* const OrtTensorTypeAndShapeInfo* */, bool symbolic)
    {
        int type;
        nuint rank;
        OrtStatus.Check(OrtApi.GetTensorElementType(info, &type));
        OrtStatus.Check(OrtApi.GetDimensionsCount(info, &rank));
        var dims = new long[(int)rank];
        fixed (long* d = dims)
            OrtStatus.Check(OrtApi.GetDimensions(info, d, rank));
        if (!symbolic) return ((OrtElementType)type, dims, []);
        var names = new string[(int)rank];
        var ptrs = stackalloc byte*[(int)rank];   // const char*, borrowed from info
        OrtStatus.Check(OrtApi.GetSymbolicDimensions(info, ptrs, rank));
        for (var i = 0; i < (int)rank; i++) names[i] = Marshal.PtrToStringUTF8((nint)ptrs[i]) ?? "";
        return ((OrtElementType)type, dims, names);
    }
}
