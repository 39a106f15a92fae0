using Toolkit.Runtime.Ort;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Runtime.Tests;

/// <summary>Each element type the runtime needs goes in and comes out intact; our float16/bfloat16 rounding matches ORT's Cast.</summary>
public sealed class OrtElementTypeTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    T[] Identity<T>(DataType type, T[] data) where T : unmanaged
    {
        var graph = new TinyGraph("identity")
            .Input("in", type, "n")
            .Output("out", type, "n")
            .Node("Identity", ["in"], ["out"]);
        using var session = OrtSession.Load(graph.Save(_dir.File($"id_{type}.onnx")));
        Assert.Equal((OrtElementType)(int)type, session.Inputs[0].ElementType);
        using var input = OrtValue.FromArray(data, data.Length);
        using var output = session.Run(["in"], [input], ["out"])[0];
        Assert.Equal(OrtElementTypes.Of<T>(), output.ElementType);
        return output.ToArray<T>();
    }

    [Fact]
    public void Float16_round_trips() =>
        AssertRoundTrip(DataType.Float16, new[] { (Half)1.5f, (Half)(-65504f), Half.Epsilon, (Half)0.1f });

    [Fact]
    public void BFloat16_round_trips() =>
        AssertRoundTrip(DataType.Bfloat16, new[] { (BFloat16)1.5f, (BFloat16)(-3.0e38f), (BFloat16)1e-30f, (BFloat16)0.1f });

    [Fact]
    public void Integer_and_bool_types_round_trip()
    {
        AssertRoundTrip(DataType.Int32, new[] { int.MinValue, -1, 0, int.MaxValue });
        AssertRoundTrip(DataType.Int8, new sbyte[] { -128, -1, 0, 127 });
        AssertRoundTrip(DataType.Uint8, new byte[] { 0, 1, 128, 255 });
        AssertRoundTrip(DataType.Bool, new[] { true, false, false, true });
        AssertRoundTrip(DataType.Int64, new[] { long.MinValue, 0, long.MaxValue });
    }

    void AssertRoundTrip<T>(DataType type, T[] data) where T : unmanaged => Assert.Equal(data, Identity(type, data));

    [Fact]
    public void Our_float_to_bfloat16_and_float16_rounding_matches_ORT_Cast()
    {
        // values chosen to hit round-to-nearest-even ties and carries in the bfloat16 mantissa
        var rng = new Random(7);
        var x = new float[] { 1.00390625f, 1.01171875f, 3.14159265f, -2.71828f, 65504f, 1e-40f, float.MaxValue }
            .Concat(Enumerable.Range(0, 200).Select(_ => (float)(rng.NextDouble() * 2000 - 1000)))
            .ToArray();
        var graph = new TinyGraph("casts")
            .Input("x", DataType.Float, "n")
            .Output("bf", DataType.Bfloat16, "n")
            .Output("h", DataType.Float16, "n")
            .Node("Cast", ["x"], ["bf"], TinyGraph.IntAttribute("to", (long)DataType.Bfloat16))
            .Node("Cast", ["x"], ["h"], TinyGraph.IntAttribute("to", (long)DataType.Float16));
        using var session = OrtSession.Load(graph.Save(_dir.File("casts.onnx")));
        using var input = OrtValue.FromArray(x, x.Length);
        var outs = session.Run(["x"], [input], ["bf", "h"]);
        using var bf = outs[0];
        using var h = outs[1];

        Assert.Equal(x.Select(v => (BFloat16)v).ToArray(), bf.ToArray<BFloat16>());
        Assert.Equal(x.Select(v => (Half)v).ToArray(), h.ToArray<Half>());
        // ties go to the even mantissa (spacing 2^-7 near 1): 1 + 0.5 ulp -> 1, 1 + 1.5 ulp -> 1 + 2 ulp
        Assert.Equal(1f, (float)(BFloat16)1.00390625f);
        Assert.Equal(1.015625f, (float)(BFloat16)1.01171875f);
    }
}
