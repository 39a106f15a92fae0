using System.Diagnostics;
using System.Globalization;
using Toolkit.Core.Onnx;
using Toolkit.Runtime.Ort;
using Toolkit.Train.Model;
using Xunit.Abstractions;
using Oga = Microsoft.ML.OnnxRuntimeGenAI;

namespace Toolkit.Export.Tests.Generation;

/// <summary>
/// A folder written by `toolkit export`, loaded by plain ORT-GenAI (its own Model / Generator, no overlay, none of our
/// code), prefills on more than one thread on a machine with two or more cores. Not timed: it counts the threads the
/// model load created that got CPU time during the prefills (/proc/self/task/*/stat utime + stime), so a busy machine
/// slows it but cannot fail it. Also printed: the same for a copy of the folder with intra_op_num_threads 0 (ONNX
/// Runtime decides: one thread on the VMs here) and the process's CPU time per wall second.
/// </summary>
public sealed class PlainGenAiThreadTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Exported_folder_prefills_on_several_threads_in_plain_ORT_GenAI()
    {
        if (!OperatingSystem.IsLinux() || CpuCores.Physical < 2)
        {
            output.WriteLine($"skipped: needs Linux /proc and ≥ 2 physical cores (found {CpuCores.Physical} on {Environment.OSVersion})");
            return;
        }
        var config = Harness.TinyLlama;
        using (var torchModel = new Decoder(Harness.Weights(config, seed: 3)))
            OnnxExporter.Export(torchModel, dir.Path, new ExportOptions());
        var written = Convert.ToInt32(GenAiConfigJson.Read(dir.Path).Decoder.SessionOptions["intra_op_num_threads"], CultureInfo.InvariantCulture);
        Assert.Equal(CpuCores.DefaultIntraOpThreads, written);

        var zero = Path.Combine(dir.Path, "zero");
        Directory.CreateDirectory(zero);
        foreach (var f in Directory.GetFiles(dir.Path)) File.Copy(f, Path.Combine(zero, Path.GetFileName(f)));
        var genai = GenAiConfigJson.Read(zero);
        GenAiConfigJson.Write(Path.Combine(zero, GenAiConfig.FileName), genai with
        {
            Decoder = genai.Decoder with { SessionOptions = new Dictionary<string, object>(genai.Decoder.SessionOptions) { ["intra_op_num_threads"] = 0 } },
        });

        var prompt = Harness.RandomIds(1, 200, config.VocabSize, seed: 4)[0].Select(t => (int)t).ToArray();
        var (busy, created, cpuPerWall) = Prefill(dir.Path, prompt);
        var (busyZero, createdZero, cpuPerWallZero) = Prefill(zero, prompt);
        output.WriteLine($"{CpuCores.Physical} physical cores (OS), {Environment.ProcessorCount} logical; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        output.WriteLine($"as exported (intra_op_num_threads {written}): {created} threads created by the load, {busy} of them ran during the prefills; process cpu/wall {cpuPerWall:F2}");
        output.WriteLine($"copy with intra_op_num_threads 0 (ONNX Runtime decides): {createdZero} created, {busyZero} ran; cpu/wall {cpuPerWallZero:F2}");
        Assert.True(busy >= 1, $"the prefill ran on the calling thread only ({busy} of {created} new threads got CPU time)");
    }

    /// <summary>Loads <paramref name="folder"/> in plain ORT-GenAI and prefills <paramref name="prompt"/> 12 times.</summary>
    static (int Busy, int Created, double CpuPerWall) Prefill(string folder, int[] prompt)
    {
        var before = Ticks();
        using var model = new Oga.Model(folder);
        var created = Ticks().Keys.Except(before.Keys).ToHashSet();
        var start = Ticks();
        using var self = Process.GetCurrentProcess();
        var cpu0 = self.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var rep = 0; rep < 12; rep++)
        {
            using var p = new Oga.GeneratorParams(model);
            p.SetSearchOption("max_length", prompt.Length + 1);
            using var g = new Oga.Generator(model, p);
            g.AppendTokens(prompt);
        }
        var seconds = wall.Elapsed.TotalSeconds;
        self.Refresh();
        var cpuPerWall = (self.TotalProcessorTime - cpu0).TotalSeconds / seconds;
        var end = Ticks();
        var busy = created.Count(t => end.TryGetValue(t, out var e) && start.TryGetValue(t, out var s) && e > s);
        return (busy, created.Count, cpuPerWall);
    }

    /// <summary>utime + stime (clock ticks) of every thread of this process, by thread id.</summary>
    static Dictionary<int, long> Ticks()
    {
        var result = new Dictionary<int, long>();
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');   // fields from 3 (state) on; utime 14, stime 15
                result[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] =
                    long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }   // the thread ended meanwhile
        }
        return result;
    }
}
