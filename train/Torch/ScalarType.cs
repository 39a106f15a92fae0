namespace Toolkit.Train.Torch;

/// <summary>Element types, numbered as libtorch's <c>c10::ScalarType</c> (the shim passes the number through).</summary>
public enum ScalarType
{
    /// <summary>uint8</summary>
    Byte = 0,
    /// <summary>int8</summary>
    Int8 = 1,
    /// <summary>int16</summary>
    Int16 = 2,
    /// <summary>int32</summary>
    Int32 = 3,
    /// <summary>int64 (indices, token ids)</summary>
    Int64 = 4,
    /// <summary>IEEE half</summary>
    Float16 = 5,
    /// <summary>float32</summary>
    Float32 = 6,
    /// <summary>float64</summary>
    Float64 = 7,
    /// <summary>bool (one byte per element)</summary>
    Bool = 11,
    /// <summary>bfloat16 (8-bit exponent, 7-bit mantissa)</summary>
    BFloat16 = 15,
}

/// <summary>Maps CLR element types to <see cref="ScalarType"/> for copies between managed memory and tensors.</summary>
public static class ScalarTypes
{
    /// <summary>The <see cref="ScalarType"/> whose elements have the layout of <typeparamref name="T"/>.</summary>
    public static ScalarType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => ScalarType.Float32,
        var t when t == typeof(double) => ScalarType.Float64,
        var t when t == typeof(long) => ScalarType.Int64,
        var t when t == typeof(int) => ScalarType.Int32,
        var t when t == typeof(short) => ScalarType.Int16,
        var t when t == typeof(sbyte) => ScalarType.Int8,
        var t when t == typeof(byte) => ScalarType.Byte,
        var t when t == typeof(bool) => ScalarType.Bool,
        var t when t == typeof(Half) => ScalarType.Float16,
        _ => throw new NotSupportedException(
            $"no tensor element type for {typeof(T).Name}; use float, double, long, int, short, sbyte, byte, bool or Half " +
            "(for bfloat16, create float32 and cast with .to(ScalarType.BFloat16))"),
    };

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown scalar type"),
    };

    /// <summary>True for Float16, BFloat16, Float32, Float64.</summary>
    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;
}
