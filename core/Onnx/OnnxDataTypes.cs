using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Core.Onnx;

/// <summary>Element sizes and names of ONNX tensor data types.</summary>
public static class OnnxDataTypes
{
    /// <summary>Bytes per element of <paramref name="type"/> (packed 4-bit types are not handled here).</summary>
    public static int SizeOf(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Uint8 or DataType.Int8 or DataType.Bool or DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz
            or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz => 1,
        DataType.Complex128 => 16,
        _ => throw new ArgumentException($"ONNX data type {type} has no fixed element size"),
    };

    /// <summary>The ONNX type of a C# element type (float, Half, long, int, byte, sbyte, bool, double).</summary>
    public static DataType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DataType.Float
        : typeof(T) == typeof(Half) ? DataType.Float16
        : typeof(T) == typeof(long) ? DataType.Int64
        : typeof(T) == typeof(int) ? DataType.Int32
        : typeof(T) == typeof(byte) ? DataType.Uint8
        : typeof(T) == typeof(sbyte) ? DataType.Int8
        : typeof(T) == typeof(bool) ? DataType.Bool
        : typeof(T) == typeof(double) ? DataType.Double
        : throw new ArgumentException($"{typeof(T).Name} has no ONNX data type here");
}
