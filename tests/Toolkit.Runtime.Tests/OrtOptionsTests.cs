using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Tests;

/// <summary>Every option setter reaches the right ORT entry (a wrong table index would fail or crash here), and run options act.</summary>
public sealed class OrtOptionsTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(GraphOptimizationLevel.DisableAll, ExecutionMode.Sequential, false)]
    [InlineData(GraphOptimizationLevel.Basic, ExecutionMode.Parallel, true)]
    [InlineData(GraphOptimizationLevel.Extended, ExecutionMode.Sequential, true)]
    [InlineData(GraphOptimizationLevel.All, ExecutionMode.Parallel, false)]
    public void Session_with_every_option_set_gives_the_same_numbers(GraphOptimizationLevel level, ExecutionMode mode, bool memory)
    {
        using var options = new OrtSessionOptions()
            .SetIntraOpThreads(2).SetInterOpThreads(1)
            .SetGraphOptimizationLevel(level).SetExecutionMode(mode)
            .SetMemoryPattern(memory).SetCpuMemArena(memory)
            .AddConfigEntry("session.intra_op.allow_spinning", "0");
        using var session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")), options);
        var x = Models.SomeX(6);

        using var input = OrtValue.FromArray(x, 6, 3);
        using var y = session.Run(["x"], [input], ["y"])[0];

        Assert.Equal(Models.MatMulAddExpected(x), y.ToArray<float>());
    }

    [Fact]
    public void Negative_thread_count_is_refused_before_ORT_sees_it()
    {
        using var options = new OrtSessionOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.SetIntraOpThreads(-1));
    }

    [Fact]
    public void Terminated_run_options_stop_the_run_until_reset()
    {
        using var session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));
        using var input = OrtValue.FromArray(Models.SomeX(2), 2, 3);
        using var runOptions = new OrtRunOptions().AddConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");

        runOptions.Terminate();
        var e = Assert.Throws<OrtException>(() => session.Run(["x"], [input], ["y"], runOptions));
        Assert.Contains("terminat", e.OrtMessage, StringComparison.OrdinalIgnoreCase);

        runOptions.ResetTerminate();
        using var y = session.Run(["x"], [input], ["y"], runOptions)[0];
        Assert.Equal(Models.MatMulAddExpected(input.ToArray<float>()), y.ToArray<float>());
    }
}
