using System.Diagnostics;
using System.Text.Json;
using Toolkit.Train.Distributed;
using Toolkit.Train.Engine;
using Xunit.Abstractions;

namespace Toolkit.Distributed.Tests;

/// <summary>
/// Data-parallel collectives over Open MPI, run for real: <c>mpirun -np 2</c> starts <see cref="DistributedProbe"/> (this
/// assembly) on loopback. What a user would notice: averaged gradients equal the one-process full-batch gradient, ranks
/// that drift apart are refused, and a rank that hangs or dies ends the job with its rank named instead of a hang.
/// </summary>
public class DistributedTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_ranks_average_gradients_to_the_full_batch_gradient_and_a_perturbed_rank_is_refused()
    {
        var (code, log, dir) = RunProbe("average", timeoutSeconds: 60);
        Assert.True(code == 0, $"mpirun exited {code}:\n{log}");
        // independent computation: one process, the whole global batch of 8 rows, no MPI
        TorchSharpNative.Load();
        var p = DistributedProbe.Parameters();
        DistributedProbe.Backward(p, 0, 8);
        var expected = p.Select(t => t.grad?.data<float>().ToArray()).ToList();
        foreach (var rank in new[] { 0, 1 })
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, $"rank-{rank}.json")));
            var r = json.RootElement;
            Assert.Equal(4, r.GetProperty("buckets").GetInt32());
            var grads = r.GetProperty("grads").EnumerateArray().ToList();
            var maxDiff = 0.0;
            for (var i = 0; i < 3; i++)
            {
                var got = grads[i].EnumerateArray().Select(e => e.GetSingle()).ToArray();
                Assert.Equal(expected[i]!.Length, got.Length);
                maxDiff = Math.Max(maxDiff, got.Zip(expected[i]!, (a, b) => Math.Abs(a - b)).Max());
            }
            output.WriteLine($"rank {rank}: averaged gradient vs one-process full batch: max |diff| = {maxDiff:E2} (tolerance 1e-6)");
            Assert.True(maxDiff <= 1e-6, $"rank {rank}: max |diff| {maxDiff}");
            Assert.Null(expected[3]);   // the unused parameter has no gradient in one process…
            Assert.All(grads[3].EnumerateArray(), e => Assert.Equal(0f, e.GetSingle()));   // …and a zero one after averaging
            Assert.Equal("equal", r.GetProperty("checksum_after_step").GetString());
            var refused = r.GetProperty("checksum_after_perturbation").GetString()!;
            output.WriteLine($"rank {rank}: {refused}");
            Assert.Contains("rank(s) 1 differ from rank 0", refused);
            Assert.Equal([1], r.GetProperty("diverged_ranks").EnumerateArray().Select(e => e.GetInt32()));
        }
        Assert.Contains("at w2", File.ReadAllText(Path.Combine(dir, "rank-1.json")));
    }

    [Fact]
    public void Three_sharded_steps_on_two_ranks_end_where_one_process_ends()
    {
        var (code, log, dir) = RunProbe("train", timeoutSeconds: 60);
        Assert.True(code == 0, $"mpirun exited {code}:\n{log}");
        TorchSharpNative.Load();
        var p = DistributedProbe.Parameters();
        DistributedProbe.ToySteps(p, rows => rows, (units, total) => units / total, () => { }, (_, _) => { });
        foreach (var rank in new[] { 0, 1 })
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, $"rank-{rank}.json")));
            var got = json.RootElement.GetProperty("params").EnumerateArray().Select(a => a.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToList();
            var maxDiff = Enumerable.Range(0, 4).Max(i => got[i].Zip(p[i].data<float>().ToArray(), (a, b) => Math.Abs(a - b)).Max());
            output.WriteLine($"rank {rank}: parameters after 3 steps (2 micro-batches each, clipped) vs one process: max |diff| = {maxDiff:E2} (tolerance 1e-6)");
            Assert.True(maxDiff <= 1e-6, $"rank {rank}: {maxDiff}");
        }
    }

    [Fact]
    public void A_rank_that_never_reaches_a_collective_is_named_and_the_job_ends()
    {
        var (code, log, _) = RunProbe("hang", timeoutSeconds: 120, collectiveTimeout: 3);
        output.WriteLine(log);
        Assert.NotEqual(0, code);
        Assert.Contains("rank 0", log);
        Assert.Contains("rank(s) 1 did not reach collective #1 (hang probe) within 3 s", log);
    }

    [Fact]
    public void A_killed_rank_ends_the_job_with_its_rank_named()
    {
        var (code, log, _) = RunProbe("kill", timeoutSeconds: 120, collectiveTimeout: 30);
        output.WriteLine(log);
        Assert.NotEqual(0, code);
        Assert.Matches(@"rank 1 .*(signal 9|Killed)|rank\(s\) 1 did not reach", log);
    }

    [Fact]
    public void Nproc_relaunches_the_same_command_line_under_mpirun()
    {
        var args = MpiLauncher.Arguments(3);
        Assert.Equal(["-np", "3", "--bind-to", "none"], args.Take(4));
        Assert.Contains(Environment.ProcessPath!, args);
        Assert.Equal(Environment.GetCommandLineArgs()[1..], args.TakeLast(Environment.GetCommandLineArgs().Length - 1));
        Assert.Equal(3 > Environment.ProcessorCount, args.Contains("--oversubscribe"));
    }

    /// <summary>Runs <c>mpirun -np 2</c> on the probe; returns its exit code, stdout + stderr and the result folder. Kills it after <paramref name="timeoutSeconds"/> (then fails).</summary>
    (int Code, string Log, string Dir) RunProbe(string mode, int timeoutSeconds, double collectiveTimeout = 60)
    {
        var mpirun = MpiLauncher.Find("mpirun");
        Assert.True(mpirun is not null, "mpirun not on PATH: apt-get install -y openmpi-bin libopenmpi-dev (make setup)");
        var dir = Directory.CreateTempSubdirectory("tk-mpi-").FullName;
        var psi = new ProcessStartInfo(mpirun!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-np", "2", "--bind-to", "none", "--oversubscribe" }) psi.ArgumentList.Add(a);
        if (Environment.UserName == "root") psi.ArgumentList.Add("--allow-run-as-root");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : MpiLauncher.Find("dotnet") ?? "dotnet";
        foreach (var a in new[] { dotnet, "exec", typeof(DistributedProbe).Assembly.Location, "probe", mode, dir,
            collectiveTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun ({mode}) still running after {timeoutSeconds} s: a hang");
        }
        return (p.ExitCode, stdout.Result + stderr.Result, dir);
    }
}
