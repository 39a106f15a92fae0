using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
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

namespace Toolkit.Evaluate.Tests;

/// <summary>
/// answer → judge → gate on a tiny random model exported to ONNX: answers come from the folder (served in-process),
/// the LLM judge is our own `serve` on 127.0.0.1 reached through the OpenAI client.
/// </summary>
public sealed class EndToEndTests(ITestOutputHelper output)
{
    static readonly string[] Corpus =
    [
        "What is 17 multiplied by 6? The answer is 102.", "一个长方形长8厘米、宽5厘米，面积是多少？答案是40。", "Hello! How can I help you today?",
        "Final verdict: [[A]] [[B]] [[C]] Rating: [[5]]", "The sky is blue and the grass is green.", "你好！我不能帮你做这件事。",
    ];

    internal static string ExportTinyModel(TempDir dir)
    {
        var tokFolder = dir.File("tokenizer");
        BpeTrainer.Train(Corpus.Concat(Corpus), 400, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]).Save(tokFolder);
        var configPath = Path.Combine(tokFolder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        File.WriteAllText(configPath, config.ToJsonString());
        var tokenizer = Tokenizer.FromFolder(tokFolder);
        var shape = Presets.Get("tiny", vocabSize: 512) with { MaxPositionEmbeddings = 4096 };
        var folder = dir.File("onnx");
        var eos = new[] { tokenizer.TokenToId("<|im_end|>")!.Value, tokenizer.TokenToId("<|endoftext|>")!.Value };
        OnnxExporter.Export(new Decoder(DecoderWeights.Random(shape, 3)), folder, new ExportOptions(), new GenerationConfig { EosTokenIds = eos, PadTokenId = eos[1] }, tokFolder);
        return folder;
    }

    [Fact]
    public async Task AnswerJudgeAndGateRunOnAServedModelThroughTheOpenAIClient()
    {
        using var dir = new TempDir();
        var folder = ExportTinyModel(dir);
        var qs = QuestionSet.LoadBuiltIn().Where(q => q.Id is "1007" or "1012").ToList();   // math (two turns, references), extraction in Chinese

        // 1) Answers from the folder: greedy for the candidate, sampled for the baseline.
        var clientOptions = new ClientOptions { MaxConcurrency = 2 };
        using (var local = await ChatClients.OpenAsync(folder, clientOptions))
        {
            await new AnswerRun(local, new AnswerOptions { Model = folder, Out = dir.File("answers/greedy.jsonl"), MaxNewTokens = 12 }).RunAsync(qs);
            await new AnswerRun(local, new AnswerOptions { Model = folder, Out = dir.File("answers/sampled.jsonl"), MaxNewTokens = 12, Temperature = 1.0, Seed = 9 }).RunAsync(qs);
        }
        var greedy = AnswerRecord.ReadFile(dir.File("answers/greedy.jsonl"));
        var sampled = AnswerRecord.ReadFile(dir.File("answers/sampled.jsonl"));
        Assert.All(qs, q => Assert.Equal(2, greedy[q.Id].Turns.Count));
        output.WriteLine($"greedy turns of {qs[0].Id}: {string.Join(" | ", greedy[qs[0].Id].Turns)}");

        // 2) The judge: our server on loopback with an API key, reached through Microsoft.Extensions.AI.OpenAI.
        const string key = "sk-eval-test";
        await using var server = await ChatServer.StartAsync(new ServeOptions { Model = folder, Port = 0, ApiKey = key, MaxConcurrency = 2 }, log: _ => { });
        using var judgeClient = await ChatClients.OpenEndpointAsync(new Uri(server.BaseAddress, "v1"), key, new ClientOptions { Retries = 1 });
        var judge = new LlmJudge(judgeClient, server.ModelName, JudgePrompts.BuiltIn(), maxTokens: 8);
        using var cache = new JudgmentCache(dir.File("cache.sqlite"));
        var run = new JudgingRun(judge, cache, concurrency: 2);
        var rows = await run.PairwiseAsync(qs, greedy, "greedy", sampled, "sampled");

        // 4 matches × 2 orders; a random model rarely writes a verdict label, so most games are retried once.
        Assert.Equal(4, rows.Count);
        Assert.Equal(8, run.Counts.Games);
        var errors = run.Counts.Errors;
        output.WriteLine($"first judge reply: {rows[0].G1Judgment}");
        Assert.Equal(0, judge.TransportErrors);
        Assert.Equal(8 + errors + rows.Sum(r => CountRetries(r)), server.Stats.Completed);
        Assert.Contains(greedy[qs[0].Id].Turns[0], rows[0].G1UserPrompt);
        Assert.Equal("pair-math-v1", rows[0].Template);
        output.WriteLine($"judge games {run.Counts.Games}, errors {errors}, server requests {server.Stats.Completed}");

        // 3) The gate: judge errors are not losses; with this many it is INCONCLUSIVE (exit 2) unless the judge happened to answer.
        var gate = GateResult.Decide(rows, new GateOptions { MaxJudgeErrorRate = 0.05 });
        output.WriteLine(gate.Line);
        if (errors > 0) Assert.Equal((GateVerdict.Inconclusive, 2), (gate.Verdict, gate.ExitCode));
        Assert.Equal(rows.Count(r => r.Combined is not null), gate.Counts.Total);
    }

    static int CountRetries(PairJudgment r) =>
        (r.G1Judgment.Contains("[retry] ") && r.G1 != Winner.Error ? 1 : 0) + (r.G2Judgment.Contains("[retry] ") && r.G2 != Winner.Error ? 1 : 0);
}
