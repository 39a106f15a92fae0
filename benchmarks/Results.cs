using System.Diagnostics;
using System.Text.Json;

namespace Toolkit.Benchmarks;

/// <summary>One comparison: our figure against a baseline measured in the same run. <c>ratio</c> is always "higher is better for us".</summary>
public sealed record Comparison(string name, double ours, double baseline, string unit, double ratio, Dictionary<string, object> settings);

/// <summary>Collects comparisons, prints each as it arrives and writes them all as JSONL (one object per line).</summary>
public sealed class Results
{
    readonly List<Comparison> _rows = [];

    /// <summary>Records a figure where higher is better (throughput): ratio = ours / baseline.</summary>
    public void Higher(string name, double ours, double baseline, string unit, Dictionary<string, object> settings) =>
        Add(new Comparison(name, ours, baseline, unit, ours / baseline, settings));

    /// <summary>Records a figure where lower is better (latency, memory): ratio = baseline / ours.</summary>
    public void Lower(string name, double ours, double baseline, string unit, Dictionary<string, object> settings) =>
        Add(new Comparison(name, ours, baseline, unit, baseline / ours, settings));

    void Add(Comparison c)
    {
        _rows.Add(c);
        Console.WriteLine($"{c.name,-44} ours {c.ours,12:G5} {c.unit,-8} baseline {c.baseline,12:G5}  ratio {c.ratio,6:F2}");
    }

    public void Write(string path)
    {
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllLines(path, _rows.Select(r => JsonSerializer.Serialize(r)));   // folders created
        Console.WriteLine($"wrote {_rows.Count} comparisons to {path}");
    }
}

/// <summary>Runs a Python baseline script under Debian's python3 (with python3-torch) and parses its last stdout line as JSON.</summary>
public static class PythonBaseline
{
    public static JsonElement Run(string script, params string[] args)
    {
        var root = Toolkit.Core.Native.NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run benchmarks from the checkout");
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(root, "benchmarks", "baselines", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"baseline {script} failed ({p.ExitCode}):\n{stderr}");
        var last = stdout.Trim().Split('\n')[^1];
        return JsonDocument.Parse(last).RootElement.Clone();
    }
}
