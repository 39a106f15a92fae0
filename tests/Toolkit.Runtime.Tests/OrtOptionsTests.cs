using Microsoft.ML.OnnxRuntime;
using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Tests;

/// <summary>Thread count and graph optimization level are settable and every level gives the same numbers.</summary>
public sealed class OrtOptionsTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(GraphOptimizationLevel.ORT_DISABLE_ALL, 1)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_BASIC, 2)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_EXTENDED, 0)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_ALL, 2)]
    public void Session_with_each_level_and_thread_count_gives_the_exact_numbers(GraphOptimizationLevel level, int threads)
    {
        using var session = Sessions.Open(Models.MatMulAdd().Save(_dir.File("m.onnx")), new SessionSettings { GraphOptimization = level, IntraOpThreads = threads });
        var x = Models.SomeX(6);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [6, 3]);
        using var run = new RunOptions();

        using var y = session.Run(run, ["x"], [input], ["y"]);

        Assert.Equal(Models.MatMulAddExpected(x), y[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Negative_thread_count_is_refused_before_ORT_sees_it()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Sessions.Open(Models.MatMulAdd().Save(_dir.File("m.onnx")), new SessionSettings { IntraOpThreads = -1 }));
        Assert.Contains("≥ 0", e.Message);
    }
}
