namespace Toolkit.Runtime.Ort;

/// <summary>ONNXTensorElementDataType of onnxruntime_c_api.h (the same numbers as ONNX's TensorProto.DataType).</summary>
public enum OrtElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>The element type of a C# element type; the one mapping the binding uses for both directions.</summary>
public static class OrtElementTypes
{
    /// <summary>
    /// float, <see cref="Half"/> (float16), <see cref="BFloat16"/>, double, long, int, short, sbyte, ulong, uint,
    /// ushort, byte, bool (one byte, as ONNX stores it); anything else throws.
    /// </summary>
    public static OrtElementType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? OrtElementType.Float
        : typeof(T) == typeof(Half) ? OrtElementType.Float16
        : typeof(T) == typeof(BFloat16) ? OrtElementType.BFloat16
        : typeof(T) == typeof(double) ? OrtElementType.Double
        : typeof(T) == typeof(long) ? OrtElementType.Int64
        : typeof(T) == typeof(int) ? OrtElementType.Int32
        : typeof(T) == typeof(short) ? OrtElementType.Int16
        : typeof(T) == typeof(sbyte) ? OrtElementType.Int8
        : typeof(T) == typeof(ulong) ? OrtElementType.UInt64
        : typeof(T) == typeof(uint) ? OrtElementType.UInt32
        : typeof(T) == typeof(ushort) ? OrtElementType.UInt16
        : typeof(T) == typeof(byte) ? OrtElementType.UInt8
        : typeof(T) == typeof(bool) ? OrtElementType.Bool
        : throw new NotSupportedException(
            $"no ONNX tensor element type for {typeof(T).Name}; use float, Half, BFloat16, double, long, int, short, " +
            "sbyte, ulong, uint, ushort, byte or bool");

    /// <summary>Bytes per element; 0 for types without a fixed size (string, undefined).</summary>
    public static int SizeOf(OrtElementType type) => type switch
    {
        OrtElementType.Float or OrtElementType.Int32 or OrtElementType.UInt32 => 4,
        OrtElementType.Double or OrtElementType.Int64 or OrtElementType.UInt64 or OrtElementType.Complex64 => 8,
        OrtElementType.Complex128 => 16,
        OrtElementType.Float16 or OrtElementType.BFloat16 or OrtElementType.Int16 or OrtElementType.UInt16 => 2,
        OrtElementType.UInt8 or OrtElementType.Int8 or OrtElementType.Bool => 1,
        _ => 0,
    };
}
