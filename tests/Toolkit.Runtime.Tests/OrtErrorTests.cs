using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Tests;

/// <summary>What a user sees when something is wrong: ORT's message, the file named, a HINT.</summary>
public sealed class OrtErrorTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    OrtSession MatMulAdd() => OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));

    [Fact]
    public void Wrong_input_name_gives_ORTs_message()
    {
        using var session = MatMulAdd();
        using var x = OrtValue.FromArray(Models.SomeX(1), 1, 3);

        var e = Assert.Throws<OrtException>(() => session.Run(["not_x"], [x], ["y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, e.Code);
        Assert.Contains("not_x", e.OrtMessage);
        Assert.Contains(e.OrtMessage, e.Message);
    }

    [Fact]
    public void Wrong_shape_gives_ORTs_message()
    {
        using var session = MatMulAdd();
        using var x = OrtValue.FromArray(new float[8], 2, 4);   // model wants (batch, 3)

        var e = Assert.Throws<OrtException>(() => session.Run(["x"], [x], ["y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, e.Code);
        Assert.Contains("dimensions", e.OrtMessage);
        Assert.Contains("Expected: 3", e.OrtMessage);
    }

    [Fact]
    public void Wrong_element_type_gives_ORTs_message()
    {
        using var session = MatMulAdd();
        using var x = OrtValue.FromArray(new long[3], 1, 3);

        var e = Assert.Throws<OrtException>(() => session.Run(["x"], [x], ["y"]));

        Assert.Equal(OrtErrorCode.InvalidArgument, e.Code);
        Assert.Contains("type", e.OrtMessage);
    }

    [Fact]
    public void Missing_model_file_is_named_with_a_hint()
    {
        var path = _dir.File("nowhere/model.onnx");

        var e = Assert.Throws<OrtException>(() => OrtSession.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("HINT:", e.Message);
        Assert.Contains(e.OrtMessage, e.Message);
        Assert.Equal(OrtErrorCode.NoSuchFile, e.Code);
    }

    [Fact]
    public void Corrupt_model_file_is_named_with_ORTs_message_and_a_hint()
    {
        var path = _dir.File("corrupt.onnx");
        var junk = new byte[4096];
        new Random(3).NextBytes(junk);
        File.WriteAllBytes(path, junk);

        var e = Assert.Throws<OrtException>(() => OrtSession.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("4096 bytes", e.Message);
        Assert.Contains(e.OrtMessage, e.Message);
        Assert.Contains("HINT:", e.Message);
        Assert.NotEqual(OrtErrorCode.Ok, e.Code);
    }

    [Fact]
    public void Git_lfs_pointer_instead_of_a_model_says_so()
    {
        var path = _dir.File("model.onnx");
        File.WriteAllText(path, "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 123456\n");

        var e = Assert.Throws<OrtException>(() => OrtSession.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("git lfs pull", e.Message);
    }

    [Fact]
    public void Corrupt_model_bytes_name_their_description()
    {
        var e = Assert.Throws<OrtException>(() => OrtSession.FromBytes(new byte[] { 1, 2, 3, 4, 5 }, description: "export of step 3"));

        Assert.Contains("export of step 3 (5 bytes)", e.Message);
        Assert.Contains(e.OrtMessage, e.Message);
        Assert.Contains("HINT:", e.Message);
    }

    [Fact]
    public void Version_mismatch_message_says_what_we_have_what_we_need_and_what_to_do()
    {
        var m = OrtLibrary.VersionMismatchMessage("1.22.1", OrtLibrary.OrtApiVersion, "/opt/ort/libonnxruntime.so.1");

        Assert.Contains("ONNX Runtime 1.22.1", m);
        Assert.Contains("/opt/ort/libonnxruntime.so.1", m);
        Assert.Contains("ORT_API_VERSION 30", m);
        Assert.Contains("1.30 or newer", m);
        Assert.Contains("HINT: run `make ort`", m);
        Assert.Equal(30u, OrtLibrary.OrtApiVersion);
    }

    [Fact]
    public void Disposed_value_fails_in_managed_code_not_in_native_code()
    {
        using var session = MatMulAdd();
        var x = OrtValue.FromArray(Models.SomeX(1), 1, 3);
        x.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.Run(["x"], [x], ["y"]));
    }
}
