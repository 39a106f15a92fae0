namespace Toolkit.Benchmarks;

/// <summary>`make bench`: every benchmark group in turn; `--only NAME` runs the groups whose name contains NAME.</summary>
static class Program
{
    static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == QuantizeBench.ChildFlag) return QuantizeBench.Child(args);   // one variant's decode, in its own process
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
            ("tsharp", TorchSharpBench.Run),   // TorchSharp / libtorch 2.10: not in one process with the groups above (two libtorch builds crash)
        };
        foreach (var (name, run) in groups)
        {
            if (only != null && !name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            if (only == null && name == "tsharp")
            {
                Console.WriteLine("== tsharp: skipped in the full run (libtorch 1.13 and 2.10 cannot share a process); run `make bench ONLY=tsharp`");
                continue;
            }
            Console.WriteLine($"== {name}");
            run(results);
        }
        results.Write(outPath);
        return 0;
    }
}
