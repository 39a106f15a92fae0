using System.Diagnostics;

namespace Toolkit.Runtime.Tests;

/// <summary>
/// The models the test helper writes are valid ONNX by an independent judge: Debian's python3-onnx
/// (<c>onnx.checker.check_model</c> with full shape inference). Skipped, with the reason shown, where python3-onnx is absent.
/// </summary>
public sealed class OnnxCheckerTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [PythonOnnxFact]
    public void Written_model_passes_onnx_checker()
    {
        var path = Models.MatMulAdd().Save(_dir.File("m.onnx"));

        var (code, stdout, stderr) = PythonOnnx.Run(
            "import sys, onnx\n" +
            "m = onnx.load(sys.argv[1])\n" +
            "onnx.checker.check_model(m, full_check=True)\n" +
            "g = m.graph\n" +
            "print(m.ir_version, m.opset_import[0].version, [n.op_type for n in g.node], " +
            "[d.dim_param or d.dim_value for d in g.input[0].type.tensor_type.shape.dim], len(g.initializer))\n",
            path);

        Assert.True(code == 0, $"onnx.checker rejected {path}:\n{stderr}");
        Assert.Equal("8 17 ['MatMul', 'Add'] ['batch', 3] 2", stdout.Trim());
    }
}

/// <summary>A fact that is skipped, saying why, when /usr/bin/python3 cannot import onnx.</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    public PythonOnnxFactAttribute()
    {
        if (!PythonOnnx.Available)
            Skip = "python3-onnx is not installed for /usr/bin/python3, so onnx.checker cannot validate the written model " +
                   "(HINT: apt-get install python3-onnx)";
    }
}

/// <summary>Runs code under Debian's /usr/bin/python3.</summary>
internal static class PythonOnnx
{
    static readonly Lazy<bool> _available = new(() =>
    {
        try { return Run("import onnx", "").Code == 0; }
        catch (System.ComponentModel.Win32Exception) { return false; }   // no /usr/bin/python3 at all
    });

    public static bool Available => _available.Value;

    public static (int Code, string Stdout, string Stderr) Run(string code, string arg)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(code);
        psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }
}
