namespace Toolkit.Benchmarks;

/// <summary>`make bench`: every benchmark group in turn; `--only NAME` runs the groups whose name contains NAME.</summary>
static class Program
{
    static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == QuantizeBench.ChildFlag) return QuantizeBench.Child(args);   // one variant's decode, in its own process
        Toolkit.Train.Engine.TorchSharpNative.Load();   // libtorch 2.10 from build/torchsharp before any torch use
        if (args.Length > 0 && args[0] == DistributedBench.RankFlag) return DistributedBench.Rank(args);   // one rank under mpirun
        if (args.Length > 0 && args[0] == DpoStepBench.ChildFlag) return DpoStepBench.Child(args);       // one DPO variant, in its own process
        var outPath = "benchmarks/results/latest.jsonl";
        string? only = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--out") outPath = args[++i];
            else if (args[i] == "--only") only = args[++i];
        }
        var results = new Results();
        var groups = new (string Name, Action<Results> Run)[]
        {
            // Groups register here, in pipeline order.
            ("torch", TorchBench.Run),
            ("ort", OrtBench.Run),
            ("export", ExportBench.Run),
            ("tokenizer", TokenizerBench.Run),
            ("decode", DecodeBench.Run),
            ("dpo", DpoStepBench.Run),
            ("evaluate", EvaluateBench.Run),
            ("quantize", QuantizeBench.Run),
            ("distributed", DistributedBench.Run),
        };
        foreach (var (name, run) in groups)
        {
            if (only != null && !name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            Console.WriteLine($"== {name}");
            run(results);
        }
        results.Write(outPath);
        return 0;
    }
}
