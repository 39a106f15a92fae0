using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Toolkit.Benchmarks;

/// <summary>
/// This benchmark program run again as a child process, for figures that need a fresh process (peak RSS without another
/// measurement's heap, a variant's own native state): the child prints its result as one JSON line, last on stdout.
/// </summary>
static class ChildProcess
{
    /// <summary>Runs this program with <paramref name="args"/> and parses its last stdout line; throws with both streams when it fails.</summary>
    public static T Run<T>(params string[] args)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path to start the child process");
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {self}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"child ({string.Join(' ', args)}) failed ({p.ExitCode}):\n{stdout}\n{stderr.Result}");
        return JsonSerializer.Deserialize<T>(stdout.Trim().Split('\n')[^1])!;
    }

    /// <summary>The child's side: <paramref name="result"/> as the JSON line <see cref="Run{T}"/> reads.</summary>
    public static int Reply<T>(T result)
    {
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>A kB field of /proc/self/status (VmRSS, VmHWM), in KiB.</summary>
    public static long StatusKb(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{field} not found in /proc/self/status");
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
