using System.Diagnostics;
using Toolkit.Core.Native;

namespace Toolkit.Train.Tests;

/// <summary>The independent computations the tests compare against (Python scripts under Debian's python3-torch), and the comparison.</summary>
static class Oracle
{
    /// <summary>Runs <paramref name="script"/> (a path relative to the repository root) under /usr/bin/python3; fails the test with its stderr.</summary>
    public static void Python(string script, params string[] args)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("tests run from the checkout");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(root, script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start /usr/bin/python3: run `make test`, which installs python3-torch");
        var stdout = p.StandardOutput.ReadToEndAsync();   // drained, so a chatty script cannot block on a full pipe
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        Assert.True(p.ExitCode == 0, $"{script} failed ({p.ExitCode}); it needs Debian's python3-torch (make test installs it):\n{err}");
    }

    /// <summary>max |a[i] − b[i]| over equal-length arrays.</summary>
    public static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var worst = 0.0;
        for (var i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
        return worst;
    }

    /// <inheritdoc cref="MaxAbsDiff(float[], float[])"/>
    public static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.Equal(a.Count, b.Count);
        var worst = 0.0;
        for (var i = 0; i < a.Count; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }
}
