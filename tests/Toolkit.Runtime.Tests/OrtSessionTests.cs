using Toolkit.Runtime.Ort;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Runtime.Tests;

/// <summary>Sessions from files and bytes: declared inputs/outputs, and Run giving the numbers the graph defines.</summary>
public sealed class OrtSessionTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Library_is_the_1_30_build_we_bind()
    {
        OrtLibrary.EnsureLoaded();
        Assert.StartsWith("1.30.", OrtLibrary.Version);
    }

    [Fact]
    public void Session_reports_names_types_and_symbolic_dims()
    {
        using var session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));

        var x = Assert.Single(session.Inputs);
        Assert.Equal("x", x.Name);
        Assert.Equal(OrtElementType.Float, x.ElementType);
        Assert.Equal([-1L, 3L], x.Dims);
        Assert.Equal(["batch", ""], x.SymbolicDims);
        var y = Assert.Single(session.Outputs);
        Assert.Equal("y", y.Name);
        Assert.Equal([-1L, 2L], y.Dims);
        Assert.Equal("y: Float [batch, 2]", y.ToString());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(33)]
    public void MatMul_Add_gives_exact_numbers_for_any_batch(int batch)
    {
        using var session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));
        var x = Models.SomeX(batch, seed: batch);

        using var input = OrtValue.FromArray(x, batch, 3);
        var outputs = session.Run(["x"], [input], ["y"]);
        using var y = Assert.Single(outputs);

        Assert.Equal(OrtElementType.Float, y.ElementType);
        Assert.Equal([(long)batch, 2L], y.Shape.ToArray());
        Assert.Equal(Models.MatMulAddExpected(x), y.ToArray<float>());
    }

    [Fact]
    public void Session_from_bytes_runs_like_session_from_file()
    {
        var graph = Models.MatMulAdd();
        using var fromFile = OrtSession.Load(graph.Save(_dir.File("m.onnx")));
        using var fromBytes = OrtSession.FromBytes(graph.ToBytes(), description: "matmul_add");
        var x = Models.SomeX(5);

        using var input = OrtValue.FromArray(x, 5, 3);
        using var a = session_run(fromFile, input);
        using var b = session_run(fromBytes, input);

        Assert.Equal(Models.MatMulAddExpected(x), b.ToArray<float>());
        Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        Assert.Contains("matmul_add", fromBytes.Source);

        static OrtValue session_run(OrtSession s, OrtValue x) => s.Run(new Dictionary<string, OrtValue> { ["x"] = x })[0];
    }

    [Fact]
    public void Int64_graph_keeps_values_beyond_float_precision()
    {
        // z = a * k + b with k = 3: values near 2^50 would lose their low bits in float or double arithmetic
        var graph = new TinyGraph("int64")
            .Input("a", DataType.Int64, "n")
            .Input("b", DataType.Int64, "n")
            .Output("z", DataType.Int64, "n")
            .Weight("k", new long[] { 3 }, 1)
            .Node("Mul", ["a", "k"], ["ak"])
            .Node("Add", ["ak", "b"], ["z"]);
        using var session = OrtSession.Load(graph.Save(_dir.File("i64.onnx")));
        long[] a = [(1L << 50) + 1, -7, 0, long.MaxValue / 4];
        long[] b = [1, 2, -3, 5];

        using var va = OrtValue.FromArray(a, 4);
        using var vb = OrtValue.FromArray(b, 4);
        using var z = session.Run(["a", "b"], [va, vb], ["z"])[0];

        Assert.Equal(OrtElementType.Int64, z.ElementType);
        Assert.Equal(a.Zip(b, (x, y) => x * 3 + y).ToArray(), z.ToArray<long>());
        Assert.Equal(3L * ((1L << 50) + 1) + 1, z.GetSpan<long>()[0]);
    }

    [Fact]
    public void Run_writes_into_a_preallocated_output()
    {
        using var session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));
        var x = Models.SomeX(3);
        var yBuffer = new float[6];

        using var input = OrtValue.FromArray(x, 3, 3);
        using var y = OrtValue.FromArray(yBuffer, 3, 2);
        var outputs = new OrtValue?[] { y };
        session.Run(["x"], [input], ["y"], outputs);

        Assert.Same(y, outputs[0]);
        Assert.Equal(Models.MatMulAddExpected(x), yBuffer);   // written in place, into our array
    }

    [Fact]
    public void Values_borrow_managed_memory_without_copying()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var v = OrtValue.FromArray(data, 2, 3);

        v.GetSpan<float>()[4] = 42;          // through ORT's pointer ...
        Assert.Equal(42, data[4]);           // ... lands in our array
        data[0] = -1;
        Assert.Equal(-1, v.GetSpan<float>()[0]);
    }

    [Fact]
    public void Ort_allocated_values_expose_their_memory_as_a_span()
    {
        using var v = OrtValue.Allocate<long>(2, 5);
        var span = v.GetSpan<long>();
        Assert.Equal(10, span.Length);
        for (var i = 0; i < span.Length; i++) span[i] = i * 1000;
        Assert.Equal(9000, v.GetSpan<long>()[9]);
        Assert.Equal([2L, 5L], v.Shape.ToArray());
        Assert.Throws<InvalidOperationException>(() => v.GetSpan<float>());
    }

    [Fact]
    public void Buffer_length_must_match_the_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => OrtValue.FromArray(new float[5], 2, 3));
        Assert.Contains("6 elements", e.Message);
        Assert.Contains("has 5", e.Message);
    }
}
