namespace Toolkit.Core.Checkpoints;

/// <summary>The safetensors element types the toolkit reads and writes (names as in the file header).</summary>
public enum SafetensorsDType
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I8,
    U8,
    BOOL,
}

/// <summary>Header names and element sizes of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Every supported header name, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", Enum.GetNames<SafetensorsDType>());

    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I8 or SafetensorsDType.U8 or SafetensorsDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a safetensors dtype"),
    };

    /// <summary>The name written in the header ("F32", "BF16", ...).</summary>
    public static string HeaderName(this SafetensorsDType dtype) => dtype.ToString();

    /// <summary>Parses a header name (exact, case-sensitive as the format requires).</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        foreach (var d in Enum.GetValues<SafetensorsDType>())
            if (d.ToString() == name) { dtype = d; return true; }
        dtype = default;
        return false;
    }
}
