using Google.Protobuf;
using Toolkit.Core.Onnx;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Runtime.Tests;

/// <summary>
/// Builds tiny ONNX models for tests from the protobuf messages of core/Onnx/onnx.proto (ir_version 8, opset 17, so
/// Debian's python3-onnx 1.12 checker accepts them). Not the toolkit's ONNX writer: just enough for binding tests.
/// Dims are <c>long</c> (fixed) or <c>string</c> (symbolic, e.g. "batch").
/// </summary>
internal sealed class TinyGraph
{
    readonly GraphProto _graph;

    public TinyGraph(string name = "tiny") => _graph = new GraphProto { Name = name };

    public TinyGraph Input(string name, DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        return this;
    }

    public TinyGraph Output(string name, DataType type, params object[] dims)
    {
        _graph.Output.Add(ValueInfo(name, type, dims));
        return this;
    }

    /// <summary>A float initializer (constant weight), stored as raw little-endian bytes.</summary>
    public TinyGraph Weight(string name, float[] values, params long[] dims) =>
        Initializer(name, DataType.Float, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), dims);

    /// <summary>An int64 initializer.</summary>
    public TinyGraph Weight(string name, long[] values, params long[] dims) =>
        Initializer(name, DataType.Int64, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), dims);

    TinyGraph Initializer(string name, DataType type, ReadOnlySpan<byte> raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        _graph.Initializer.Add(t);
        return this;
    }

    public TinyGraph Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = opType, Name = $"{opType}_{_graph.Node.Count}" };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        _graph.Node.Add(n);
        return this;
    }

    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public ModelProto Model()
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "toolkit-tests", Graph = _graph.Clone() };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return m;
    }

    public byte[] ToBytes() => Model().ToByteArray();

    public string Save(string path)
    {
        File.WriteAllBytes(path, ToBytes());
        return path;
    }

    static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                long or int => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) },
                _ => throw new ArgumentException($"dim {d} must be a long or a symbolic name"),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}

/// <summary>The models the tests share, with the numbers they should produce computed here in C#.</summary>
internal static class Models
{
    // Y = X · W + B, X (batch, 3), W (3, 2), B (2); small integers and halves, so every result is exact in float32.
    public static readonly float[] W = [1, -2, 0.5f, 3, -1.5f, 4];   // (3, 2) row-major
    public static readonly float[] B = [0.25f, -1];                  // (2)

    public static TinyGraph MatMulAdd() => new TinyGraph("matmul_add")
        .Input("x", DataType.Float, "batch", 3L)
        .Output("y", DataType.Float, "batch", 2L)
        .Weight("w", W, 3, 2)
        .Weight("b", B, 2)
        .Node("MatMul", ["x", "w"], ["xw"])
        .Node("Add", ["xw", "b"], ["y"]);

    /// <summary>The reference: (batch, 3) · (3, 2) + (2) → (batch, 2).</summary>
    public static float[] MatMulAddExpected(float[] x)
    {
        var batch = x.Length / 3;
        var y = new float[batch * 2];
        for (var r = 0; r < batch; r++)
            for (var c = 0; c < 2; c++)
            {
                var acc = 0f;
                for (var k = 0; k < 3; k++) acc += x[r * 3 + k] * W[k * 2 + c];
                y[r * 2 + c] = acc + B[c];
            }
        return y;
    }

    /// <summary>Inputs with integer and half values (exact products and sums).</summary>
    public static float[] SomeX(int batch, int seed = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, batch * 3).Select(_ => rng.Next(-8, 9) * 0.5f).ToArray();
    }
}
