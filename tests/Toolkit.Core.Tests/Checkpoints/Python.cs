using System.Diagnostics;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>Runs Debian's /usr/bin/python3 (with python3-torch and numpy) as an independent oracle.</summary>
static class Python
{
    public const string Exe = "/usr/bin/python3";

    /// <summary>Writes <paramref name="script"/> to <paramref name="folder"/>, runs it with <paramref name="args"/>, returns stdout; fails the test with stderr on a non-zero exit.</summary>
    public static string Run(TempFolder folder, string script, params string[] args)
    {
        Assert.True(File.Exists(Exe), $"{Exe} is missing: install Debian's python3, python3-numpy and python3-torch (the oracle for these tests)");
        var path = folder.File("oracle.py");
        File.WriteAllText(path, script);
        var psi = new ProcessStartInfo(Exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "python oracle timed out");
        Assert.True(p.ExitCode == 0, $"python oracle failed ({p.ExitCode}):\n{stderr.Result}");
        return stdout;
    }
}
