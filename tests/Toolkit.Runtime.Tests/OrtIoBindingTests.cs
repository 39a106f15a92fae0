using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Tests;

/// <summary>IO binding: same numbers as Run, outputs written in place into a reused buffer, bindings that keep values alive.</summary>
public sealed class OrtIoBindingTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly OrtSession _session;

    public OrtIoBindingTests() => _session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));

    public void Dispose()
    {
        _session.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Bound_run_matches_Run_and_reuses_the_bound_output_buffer()
    {
        var x = Models.SomeX(4);
        var y = new float[8];
        using var xv = OrtValue.FromArray(x, 4, 3);
        using var yv = OrtValue.FromArray(y, 4, 2);
        using var binding = _session.CreateIoBinding();
        binding.BindInput("x", xv);
        binding.BindOutput("y", yv);

        binding.Run();
        using var plain = _session.Run(["x"], [xv], ["y"])[0];
        Assert.Equal(plain.ToArray<float>(), y);
        Assert.Equal(Models.MatMulAddExpected(x), y);

        // change the input in place and run again: the same output array receives the new result
        var x2 = Models.SomeX(4, seed: 99);
        x2.CopyTo(x, 0);
        binding.Run();
        Assert.Equal(Models.MatMulAddExpected(x2), y);

        var outs = binding.GetOutputValues();
        using var bound = Assert.Single(outs);
        bound.GetSpan<float>()[0] = 1234;                     // the returned value shares our array's bytes
        Assert.Equal(1234, y[0]);
        Assert.Equal(["y"], binding.OutputNames);
    }

    [Fact]
    public void Output_bound_to_cpu_is_allocated_by_ORT_each_run()
    {
        using var binding = _session.CreateIoBinding();
        binding.BindOutputToCpu("y");
        var kept = new List<(OrtValue Y, float[] Expected)>();
        foreach (var batch in new[] { 2, 7, 7 })   // shape changes, then repeats
        {
            var x = Models.SomeX(batch, seed: kept.Count);
            using var xv = OrtValue.FromArray(x, batch, 3);
            binding.BindInput("x", xv);
            binding.Run();
            var y = Assert.Single(binding.GetOutputValues());
            Assert.Equal([(long)batch, 2L], y.Shape.ToArray());
            kept.Add((y, Models.MatMulAddExpected(x)));
        }
        foreach (var (y, expected) in kept)       // earlier outputs were not overwritten by later runs
        {
            Assert.Equal(expected, y.ToArray<float>());
            y.Dispose();
        }
    }

    [Fact]
    public void Binding_keeps_a_disposed_value_alive_until_cleared()
    {
        var x = Models.SomeX(3);
        using var binding = _session.CreateIoBinding();
        var xv = OrtValue.FromArray((float[])x.Clone(), 3, 3);
        binding.BindInput("x", xv);
        binding.BindOutputToCpu("y");
        xv.Dispose();                                         // the caller is done with it; the binding is not

        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            _ = new byte[1 << 20];
        }
        binding.Run();
        using var y = binding.GetOutputValues()[0];
        Assert.Equal(Models.MatMulAddExpected(x), y.ToArray<float>());

        binding.ClearInputs();
        var e = Assert.Throws<OrtException>(() => binding.Run());  // nothing bound for x any more
        Assert.Contains("x", e.OrtMessage);
    }

    [Fact]
    public void Cleared_outputs_are_unbound()
    {
        using var xv = OrtValue.FromArray(Models.SomeX(1), 1, 3);
        using var binding = _session.CreateIoBinding();
        binding.BindInput("x", xv);
        binding.BindOutputToCpu("y");
        binding.Run();
        Assert.Single(binding.GetOutputValues()).Dispose();

        binding.ClearOutputs();
        Assert.Empty(binding.OutputNames);
        var e = Assert.Throws<OrtException>(() => binding.Run());   // ORT's side is cleared too
        Assert.Contains("output", e.OrtMessage);
    }
}
