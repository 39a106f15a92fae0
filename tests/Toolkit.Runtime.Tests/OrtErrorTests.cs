using Microsoft.ML.OnnxRuntime;
using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Tests;

/// <summary>What a user sees when a model file is wrong: the file named, what is wrong with it, ORT's message, a HINT.</summary>
public sealed class OrtErrorTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Missing_model_file_is_named_with_a_hint()
    {
        var path = _dir.File("nowhere/model.onnx");

        var e = Assert.Throws<ModelFileException>(() => Sessions.Open(path));

        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("HINT:", e.Message);
    }

    [Fact]
    public void Corrupt_model_file_is_named_with_ORTs_message_and_a_hint()
    {
        var path = _dir.File("corrupt.onnx");
        var junk = new byte[4096];
        new Random(3).NextBytes(junk);
        File.WriteAllBytes(path, junk);

        var e = Assert.Throws<ModelFileException>(() => Sessions.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("4096 bytes", e.Message);
        Assert.IsType<OnnxRuntimeException>(e.InnerException);
        Assert.Contains(e.InnerException!.Message, e.Message);
        Assert.Contains("HINT:", e.Message);
    }

    [Fact]
    public void Git_lfs_pointer_instead_of_a_model_says_so()
    {
        var path = _dir.File("model.onnx");
        File.WriteAllText(path, "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 123456\n");

        var e = Assert.Throws<ModelFileException>(() => Sessions.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("git lfs pull", e.Message);
    }

    [Fact]
    public void Empty_model_file_says_the_write_failed()
    {
        var path = _dir.File("model.onnx");
        File.WriteAllBytes(path, []);

        var e = Assert.Throws<ModelFileException>(() => Sessions.Open(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Wrong_input_name_gives_ORTs_message()
    {
        using var session = Sessions.Open(Models.MatMulAdd().Save(_dir.File("m.onnx")));
        using var x = OrtValue.CreateTensorValueFromMemory(Models.SomeX(1), [1, 3]);
        using var run = new RunOptions();

        var e = Assert.Throws<OnnxRuntimeException>(() => session.Run(run, ["not_x"], [x], ["y"]));

        Assert.Contains("not_x", e.Message);
    }
}
