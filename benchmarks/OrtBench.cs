using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Toolkit.Core.Native;
using Toolkit.Core.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Toolkit.Benchmarks;

/// <summary>
/// `--only ort`: what the managed ONNX Runtime (Microsoft.ML.OnnxRuntime 1.31) costs per Run. (1) Run overhead on a
/// tiny graph (Add of two [1,4] floats, so ORT's own work is negligible) against onnxruntime-node's binding running
/// the same file with the same settings in node (its own libonnxruntime 1.30.0); if node cannot load the binding, against a 1024x1024 MatMul's per-run time
/// instead, and the settings say so. (2) An IO-binding run against a plain Run of the same graph.
/// The node packages are unpacked under build/bench-node/ here, at benchmark time (never committed).
/// </summary>
static class OrtBench
{
    const int Iterations = 20_000, Repeats = 7, Threads = 1;
    const string OrtNpmVersion = "1.30.0";
    static float _sink;

    public static void Run(Results results)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the benchmarks from the checkout");
        var dir = Path.Combine(root, "build", "bench-ort");
        Directory.CreateDirectory(dir);
        var addPath = Path.Combine(dir, "add_1x4.onnx");
        File.WriteAllBytes(addPath, AddModel().ToByteArray());

        using var options = NewOptions();
        using var session = new InferenceSession(addPath, options);
        using var a = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(0.5f, 4).ToArray(), [1, 4]);
        using var b = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(0.5f, 4).ToArray(), [1, 4]);
        using var run = new RunOptions();
        string[] inNames = ["a", "b"], outNames = ["c"];

        // 1) plain Run: names marshalled, a new ORT-allocated output read and released each time
        var runUs = MedianMicroseconds(() =>
        {
            using var c = session.Run(run, inNames, [a, b], outNames);
            _sink += c[0].GetTensorDataAsSpan<float>()[0];
        });

        // 2) IO binding: inputs and a pre-allocated output bound once; each iteration is RunWithBinding only
        var cBuffer = new float[4];
        using var c = OrtValue.CreateTensorValueFromMemory(cBuffer, [1, 4]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("a", a);
        binding.BindInput("b", b);
        binding.BindOutput("c", c);
        var boundUs = MedianMicroseconds(() =>
        {
            session.RunWithBinding(run, binding);
            _sink += cBuffer[0];
        });

        var settings = new Dictionary<string, object>
        {
            ["model"] = "Add(a, b), a and b float32 [1,4]", ["intra_op_threads"] = Threads, ["inter_op_threads"] = 1,
            ["graph_optimization"] = "all", ["iterations"] = Iterations, ["repeats"] = Repeats, ["statistic"] = "median of repeats",
            ["onnxruntime"] = OrtEnv.Instance().GetVersionString(),
        };
        results.Lower("ort.iobinding_run_vs_run", boundUs, runUs, "us/run",
            new(settings) { ["baseline"] = "plain Run (names marshalled, new output per run)" });

        // 3) the same model in node through onnxruntime-node's own binding
        var (nodeUs, nodeNote) = NodeBaseline(root, addPath);
        if (nodeUs is { } us)
        {
            results.Lower("ort.run_vs_onnxruntime_node", runUs, us, "us/run",
                new(settings) { ["baseline"] = $"onnxruntime-node {OrtNpmVersion}: await session.run(feeds), output data read ({nodeNote})" });
            return;
        }

        // fallback: our per-run overhead against the per-run time of a graph with real work
        Console.WriteLine($"   node baseline unavailable: {nodeNote}");
        var mmPath = Path.Combine(dir, "matmul_1x1024x1024.onnx");
        File.WriteAllBytes(mmPath, MatMulModel(1024).ToByteArray());
        using var mm = new InferenceSession(mmPath, options);
        using var x = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(0.5f, 1024).ToArray(), [1, 1024]);
        string[] xName = ["x"], yName = ["y"];
        var mmUs = MedianMicroseconds(() =>
        {
            using var y = mm.Run(run, xName, [x], yName);
            _sink += y[0].GetTensorDataAsSpan<float>()[0];
        }, iterations: 2_000);
        results.Lower("ort.run_overhead_vs_matmul_1024", runUs, mmUs, "us/run",
            new(settings) { ["baseline"] = $"per-run time of MatMul [1,1024]x[1024,1024] (node binding could not load: {nodeNote})" });
    }

    static SessionOptions NewOptions() => new()
    {
        IntraOpNumThreads = Threads, InterOpNumThreads = 1,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    /// <summary>
    /// Median over <see cref="Repeats"/> of the mean µs per call of <paramref name="run"/>, after half a second of
    /// warm-up (long enough for the JIT to reach its optimized tier).
    /// </summary>
    static double MedianMicroseconds(Action run, int iterations = Iterations)
    {
        for (var warm = Stopwatch.StartNew(); warm.ElapsedMilliseconds < 500;) run();
        var times = new double[Repeats];
        for (var r = 0; r < Repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++) run();
            times[r] = sw.Elapsed.TotalMicroseconds / iterations;
        }
        Array.Sort(times);
        return times[Repeats / 2];
    }

    /// <summary>Runs benchmarks/baselines/ort_run.mjs; (µs per run, note) or (null, why not).</summary>
    static (double? Us, string Note) NodeBaseline(string root, string modelPath)
    {
        string modules;
        try { modules = PrepareNodeModules(root); }
        catch (Exception e) { return (null, $"could not unpack the npm packages: {e.Message}"); }
        var script = Path.Combine(root, "benchmarks", "baselines", "ort_run.mjs");
        var (code, stdout, stderr) = Exec("node", root, script, modules, modelPath, $"{Iterations}", $"{Repeats}", $"{Threads}");
        if (code != 0) return (null, $"node exited with {code}: {stderr.Trim()}");
        var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        return (json.GetProperty("us_per_run").GetDouble(), $"onnxruntime-common {json.GetProperty("version").GetString()}");
    }

    /// <summary>
    /// build/bench-node/node_modules/{onnxruntime-node, onnxruntime-common}, unpacked from the npm tarballs (the node
    /// one is already in build/npm from `make ort`; the common one is fetched with `npm pack`). No install scripts run.
    /// </summary>
    static string PrepareNodeModules(string root)
    {
        var npm = Path.Combine(root, "build", "npm");
        var modules = Path.Combine(root, "build", "bench-node", "node_modules");
        Directory.CreateDirectory(npm);
        foreach (var (name, members) in new[]
        {
            ("onnxruntime-common", new[] { "package/package.json", "package/dist" }),
            ("onnxruntime-node", new[] { "package/package.json", "package/dist", "package/bin/napi-v6/linux/x64" }),
        })
        {
            var target = Path.Combine(modules, name);
            if (File.Exists(Path.Combine(target, "package.json"))) continue;
            var tgz = Path.Combine(npm, $"{name}-{OrtNpmVersion}.tgz");
            if (!File.Exists(tgz)) Check(Exec("npm", npm, "pack", "--silent", $"{name}@{OrtNpmVersion}"), $"npm pack {name}@{OrtNpmVersion}");
            Directory.CreateDirectory(target);
            Check(Exec("tar", root, ["-xzf", tgz, "-C", target, "--strip-components=1", .. members]), $"tar -xzf {tgz}");
        }
        return modules;
    }

    static void Check((int Code, string Stdout, string Stderr) r, string what)
    {
        if (r.Code != 0) throw new InvalidOperationException($"{what} failed ({r.Code}): {r.Stderr.Trim()}");
    }

    static (int Code, string Stdout, string Stderr) Exec(string file, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>c = a + b, all float32 [1,4]; ir_version 8, opset 17.</summary>
    static ModelProto AddModel()
    {
        var g = new GraphProto { Name = "add_1x4" };
        g.Input.Add(Float("a", 1, 4));
        g.Input.Add(Float("b", 1, 4));
        g.Output.Add(Float("c", 1, 4));
        g.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "a", "b" }, Output = { "c" } });
        return Model(g);
    }

    /// <summary>y = x · W, x float32 [1,n], W [n,n] (constant 0.001).</summary>
    static ModelProto MatMulModel(int n)
    {
        var g = new GraphProto { Name = $"matmul_{n}" };
        g.Input.Add(Float("x", 1, n));
        g.Output.Add(Float("y", 1, n));
        var w = Enumerable.Repeat(0.001f, n * n).ToArray();
        g.Initializer.Add(new TensorProto
        {
            Name = "w", DataType = (int)TensorProto.Types.DataType.Float, Dims = { n, n },
            RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan())),
        });
        g.Node.Add(new NodeProto { OpType = "MatMul", Name = "mm", Input = { "x", "w" }, Output = { "y" } });
        return Model(g);
    }

    static ModelProto Model(GraphProto g) => new()
    {
        IrVersion = 8, ProducerName = "toolkit-bench", Graph = g,
        OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } },
    };

    static ValueInfoProto Float(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
