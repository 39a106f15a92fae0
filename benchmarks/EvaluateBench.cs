using System.Diagnostics;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Clients;
using Toolkit.Evaluate.Gate;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;
using Toolkit.Export;
using Toolkit.Runtime.Server;
using Toolkit.Train.Model;

namespace Toolkit.Benchmarks;

/// <summary>
/// `--only evaluate`: the evaluator against our own server on 127.0.0.1 (a tiny random model exported here):
/// 1) judging throughput (judgments/s) with 4 and 16 judge calls in flight against 1 (the baseline);
/// 2) a full gate (80 questions × 2 turns, both orders, cache warm) against the same gate with the rule judge and no
///    cache (the floor: no model, no database);
/// 3) answer generation tok/s with 4 questions in flight against the naive loop (one question at a time).
/// </summary>
static class EvaluateBench
{
    public static void Run(Results results) => RunAsync(results).GetAwaiter().GetResult();

    static async Task RunAsync(Results results)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the benchmarks from the checkout");
        var dir = Path.Combine(root, "build", "bench-evaluate");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var folder = Export(dir);
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim() ?? "unknown";
        var qs = QuestionSet.LoadBuiltIn();
        var settings = new Dictionary<string, object> { ["cpu"] = cpu, ["model"] = "tiny random, fp32", ["server_concurrency"] = 16 };
        Console.WriteLine($"cpu: {cpu}");

        await using var server = await ChatServer.StartAsync(new ServeOptions { Model = folder, Port = 0, MaxConcurrency = 16, MaxQueue = 1024 }, log: _ => { });
        using var client = ChatClients.OpenEndpointAsync(new Uri(server.BaseAddress, "v1"), "EMPTY", new ClientOptions { MaxConcurrency = 64, Retries = 0 }).GetAwaiter().GetResult();

        // 3) Answers: the naive loop first, then 4 in flight.
        double TokPerSec(int concurrency)
        {
            var before = server.Stats.CompletionTokens;
            var sw = Stopwatch.StartNew();
            new AnswerRun(client, new AnswerOptions { Model = folder, Out = Path.Combine(dir, $"answers-{concurrency}.jsonl"), MaxNewTokens = 32, Temperature = 0, Concurrency = concurrency })
                .RunAsync(qs).GetAwaiter().GetResult();
            return (server.Stats.CompletionTokens - before) / sw.Elapsed.TotalSeconds;
        }
        var naive = TokPerSec(1);
        results.Higher("evaluate answer tok/s 4 in flight/naive loop", TokPerSec(4), naive, "tok/s", new(settings) { ["questions"] = qs.Count, ["max_new_tokens"] = 32 });

        // 1) Judging throughput: 8 questions × 2 turns × 2 orders, no cache, judge replies of 8 tokens.
        var a1 = AnswerRecord.ReadFile(Path.Combine(dir, "answers-1.jsonl"));
        var a2 = AnswerRecord.ReadFile(Path.Combine(dir, "answers-4.jsonl"));
        var few = qs.Take(8).ToList();
        double JudgmentsPerSec(int concurrency)
        {
            var run = new JudgingRun(new LlmJudge(client, server.ModelName, JudgePrompts.BuiltIn(), maxTokens: 8), null, concurrency);
            var sw = Stopwatch.StartNew();
            var rows = run.PairwiseAsync(few, a1, "a", a2, "b").GetAwaiter().GetResult();
            return rows.Count * 2 / sw.Elapsed.TotalSeconds;
        }
        var one = JudgmentsPerSec(1);
        foreach (var c in new[] { 4, 16 })
            results.Higher($"evaluate judge judgments/s concurrency {c}/1", JudgmentsPerSec(c), one, "judg/s", new(settings) { ["questions"] = few.Count, ["judge_max_tokens"] = 8 });

        // 2) A full gate on 80 questions × 2 models with a warm cache (an LLM judge whose answers are all in SQLite).
        var many = Enumerable.Range(0, 80).Select(i => qs[i % qs.Count] with { Id = (5000 + i).ToString() }).ToList();
        var c1 = many.ToDictionary(q => q.Id, q => new AnswerRecord(q.Id, "x", "a", a1[qs[int.Parse(q.Id) % qs.Count].Id].Turns, 0));
        var c2 = many.ToDictionary(q => q.Id, q => new AnswerRecord(q.Id, "y", "b", a2[qs[int.Parse(q.Id) % qs.Count].Id].Turns, 0));
        var fixedJudge = new LlmJudge(new ConstantChatClient("Both fine; A is slightly clearer. [[A]]"), "fixed", JudgePrompts.BuiltIn());
        using var cache = new JudgmentCache(Path.Combine(dir, "cache.sqlite"));
        new JudgingRun(fixedJudge, cache, 4).PairwiseAsync(many, c1, "a", c2, "b").GetAwaiter().GetResult();   // warm it
        double GateMs(IJudge judge, JudgmentCache? withCache)
        {
            var times = new List<double>();
            for (var r = 0; r < 5; r++)
            {
                var sw = Stopwatch.StartNew();
                var rows = new JudgingRun(judge, withCache, 4).PairwiseAsync(many, c1, "a", c2, "b").GetAwaiter().GetResult();
                _ = GateResult.Decide(rows, new GateOptions());
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            return times.Order().ElementAt(times.Count / 2);
        }
        results.Lower("evaluate gate 80q x2 warm cache/rule judge", GateMs(fixedJudge, cache), GateMs(new RuleJudge(), null), "ms",
            new(settings) { ["questions"] = 80, ["bootstrap"] = 2000, ["baseline"] = "rule judge, no cache" });
    }

    static string Export(string dir)
    {
        string[] corpus = ["What is 17 multiplied by 6? The answer is 102.", "Final verdict: [[A]] [[B]] [[C]] Rating: [[5]]", "你好！我不能帮你做这件事。", "The sky is blue."];
        var tok = Path.Combine(dir, "tokenizer");
        BpeTrainer.Train(corpus.Concat(corpus), 400, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]).Save(tok);
        var configPath = Path.Combine(tok, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        AtomicFile.WriteAllText(configPath, config.ToJsonString());
        var t = Tokenizer.FromFolder(tok);
        var eos = new[] { t.TokenToId("<|im_end|>")!.Value, t.TokenToId("<|endoftext|>")!.Value };
        var folder = Path.Combine(dir, "onnx");
        using var weights = DecoderWeights.Random(Presets.Get("tiny", vocabSize: 512) with { MaxPositionEmbeddings = 4096 }, 3);
        OnnxExporter.Export(weights, folder, new ExportOptions(), new GenerationConfig { EosTokenIds = eos, PadTokenId = eos[1] }, tok);
        return folder;
    }

    /// <summary>A judge client that always gives the same reply (what a warm cache would return without asking).</summary>
    sealed class ConstantChatClient(string reply) : Microsoft.Extensions.AI.IChatClient
    {
        public Task<Microsoft.Extensions.AI.ChatResponse> GetResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new Microsoft.Extensions.AI.ChatResponse(new Microsoft.Extensions.AI.ChatMessage(Microsoft.Extensions.AI.ChatRole.Assistant, reply)));

        public IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
