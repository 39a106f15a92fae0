using Google.Protobuf;
using AttrType = Toolkit.Core.Onnx.AttributeProto.Types.AttributeType;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Core.Onnx;

/// <summary>Typed default-domain ops (opset 17 signatures) and attribute factories.</summary>
public sealed partial class OnnxGraph
{
    // ---- attributes ----
    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttrType.Int, I = value };
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttrType.Float, F = value };
    public static AttributeProto Attr(string name, string value) => new() { Name = name, Type = AttrType.String, S = ByteString.CopyFromUtf8(value) };
    public static AttributeProto Attr(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttrType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    // ---- math ----
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Op("MatMul", [a, b]);
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Op("Add", [a, b]);
    public OnnxValue Sub(OnnxValue a, OnnxValue b) => Op("Sub", [a, b]);
    public OnnxValue Mul(OnnxValue a, OnnxValue b) => Op("Mul", [a, b]);
    public OnnxValue Div(OnnxValue a, OnnxValue b) => Op("Div", [a, b]);
    public OnnxValue Pow(OnnxValue a, OnnxValue b) => Op("Pow", [a, b]);
    public OnnxValue Neg(OnnxValue x) => Op("Neg", [x]);
    public OnnxValue Sqrt(OnnxValue x) => Op("Sqrt", [x]);
    public OnnxValue Sigmoid(OnnxValue x) => Op("Sigmoid", [x]);
    public OnnxValue Softmax(OnnxValue x, long axis = -1) => Op("Softmax", [x], Attr("axis", axis));
    public OnnxValue ReduceMean(OnnxValue x, long[] axes, bool keepDims = true) =>
        Op("ReduceMean", [x], Attr("axes", axes), Attr("keepdims", keepDims ? 1L : 0L));
    public OnnxValue ReduceSum(OnnxValue x, long[] axes, bool keepDims = true) =>
        Op("ReduceSum", [x, Ints(axes)], Attr("keepdims", keepDims ? 1L : 0L));
    public OnnxValue CumSum(OnnxValue x, long axis) => Op("CumSum", [x, Scalar(axis)]);

    // ---- logic ----
    public OnnxValue Equal(OnnxValue a, OnnxValue b) => Op("Equal", [a, b]);
    public OnnxValue LessOrEqual(OnnxValue a, OnnxValue b) => Op("LessOrEqual", [a, b]);
    public OnnxValue And(OnnxValue a, OnnxValue b) => Op("And", [a, b]);
    public OnnxValue Where(OnnxValue condition, OnnxValue a, OnnxValue b) => Op("Where", [condition, a, b]);

    // ---- shapes and data movement ----
    public OnnxValue Cast(OnnxValue x, DataType to) => Op("Cast", [x], Attr("to", (long)to));
    public OnnxValue Shape(OnnxValue x) => Op("Shape", [x]);
    /// <summary>Dimension <paramref name="axis"/> of <paramref name="x"/> as a 1-element int64 tensor.</summary>
    public OnnxValue Dim(OnnxValue x, long axis) => Op("Shape", [x], Attr("start", axis), Attr("end", axis + 1));
    public OnnxValue Reshape(OnnxValue x, OnnxValue shape) => Op("Reshape", [x, shape]);
    /// <summary>Reshape to constant dims (0 copies the input's dim, -1 is inferred).</summary>
    public OnnxValue Reshape(OnnxValue x, params long[] shape) => Reshape(x, Ints(shape));
    public OnnxValue Transpose(OnnxValue x, params long[] perm) => Op("Transpose", [x], Attr("perm", perm));
    public OnnxValue Unsqueeze(OnnxValue x, params long[] axes) => Op("Unsqueeze", [x, Ints(axes)]);
    public OnnxValue Squeeze(OnnxValue x, params long[] axes) => Op("Squeeze", [x, Ints(axes)]);
    public OnnxValue Concat(long axis, params OnnxValue[] xs) => Op("Concat", xs, Attr("axis", axis));
    public OnnxValue Gather(OnnxValue data, OnnxValue indices, long axis = 0) => Op("Gather", [data, indices], Attr("axis", axis));
    public OnnxValue Slice(OnnxValue x, OnnxValue starts, OnnxValue ends, OnnxValue axes) => Op("Slice", [x, starts, ends, axes]);
    /// <summary>Constant-bounds slice of one axis.</summary>
    public OnnxValue Slice(OnnxValue x, long axis, long start, long end) => Slice(x, Ints(start), Ints(end), Ints(axis));
    public OnnxValue Range(OnnxValue start, OnnxValue limit, OnnxValue delta) => Op("Range", [start, limit, delta]);
    public OnnxValue Expand(OnnxValue x, OnnxValue shape) => Op("Expand", [x, shape]);
    public OnnxValue Identity(OnnxValue x) => Op("Identity", [x]);
}
