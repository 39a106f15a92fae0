using System.Runtime.InteropServices;
using Google.Protobuf;
using Toolkit.Core.Onnx;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize;

/// <summary>Reads and writes the fp32 / fp16 initializers the quantizer touches.</summary>
static class WeightTensor
{
    /// <summary>The elements of <paramref name="t"/> (float or float16) as fp32, row-major in its own dims.</summary>
    public static float[] ReadFloats(TensorProto t)
    {
        var raw = OnnxModelReader.RawBytes(t);
        return (DataType)t.DataType switch
        {
            DataType.Float => MemoryMarshal.Cast<byte, float>(raw).ToArray(),
            DataType.Float16 => MemoryMarshal.Cast<byte, Half>(raw).ToArray().Select(h => (float)h).ToArray(),
            var d => throw new ArgumentException($"initializer '{t.Name}' is {d}, not float or float16"),
        };
    }

    /// <summary>The (cols, rows) transpose of a row-major (rows, cols) matrix.</summary>
    public static float[] Transpose(float[] x, int rows, int cols)
    {
        var y = new float[x.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) y[(long)c * rows + r] = x[(long)r * cols + c];
        return y;
    }

    /// <summary>A raw-data initializer.</summary>
    public static TensorProto Make(string name, DataType type, byte[] raw, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>Scales as an initializer of the activation type <paramref name="type"/> (float or float16).</summary>
    public static TensorProto Floats(string name, DataType type, float[] values, params long[] dims) =>
        type == DataType.Float16
            ? Make(name, type, MemoryMarshal.AsBytes(values.Select(v => (Half)v).ToArray().AsSpan()).ToArray(), dims)
            : Make(name, type, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims);
}
