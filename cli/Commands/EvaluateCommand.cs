using System.CommandLine;
using Microsoft.Extensions.AI;
using Spectre.Console;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Clients;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit evaluate answer|judge|gate|report`: MT-Bench-style answers, judging (rule or LLM), win rates with intervals and a
/// three-valued CI gate. The words of each option are those of the option records in evaluate/ (AnswerOptions,
/// ClientOptions, GateOptions).
/// </summary>
static class EvaluateCommand
{
    public static Command Create() => new("evaluate", "Answer questions with a model, judge answers (rule or LLM judge), and gate a candidate against a baseline.")
    {
        EvaluateAnswerCommand.Create(),
        EvaluateJudgeCommand.Create(),
        EvaluateGateCommand.Create(),
        EvaluateReportCommand.Create(),
        EvaluateDistillJudgeCommand.Create(),
    };

    /// <summary>Runs <paramref name="work"/> with a Spectre progress bar of <paramref name="total"/> steps (plain when output is redirected).</summary>
    public static async Task Progress(string label, int total, Func<Action, Task> work)
    {
        if (total == 0) { await work(() => { }); return; }
        await AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, maxValue: total);
                await work(() => task.Increment(1));
            });
    }
}

/// <summary>The options that say how to reach a model (answers or judge); see ClientOptions.</summary>
sealed class ClientOptionArgs(string prefix = "")
{
    readonly Option<string> _keyEnv = new($"--{prefix}api-key-env") { Description = "Environment variable holding the endpoint's API key (default OPENAI_API_KEY; unset sends \"EMPTY\").", DefaultValueFactory = _ => "OPENAI_API_KEY" };
    readonly Option<string?> _name = new($"--{prefix}model-name") { Description = "Model name sent to the endpoint (default: the first id GET /v1/models lists)." };
    readonly Option<int> _retries = new($"--{prefix}retries") { Description = "Retries per request after a transient failure (408/429/5xx, network, timeout), exponential backoff with jitter from 1 s. 0..10.", DefaultValueFactory = _ => 4 };
    readonly Option<double> _rps = new($"--{prefix}requests-per-second") { Description = "Token-bucket rate limit on requests (0 = none).", DefaultValueFactory = _ => 0 };
    readonly Option<int> _concurrency = new($"--{prefix}max-concurrency") { Description = "Requests in flight at most (others wait). 1..256.", DefaultValueFactory = _ => 4 };
    readonly Option<double> _timeout = new($"--{prefix}request-timeout") { Description = "Seconds one attempt may take before it counts as a transient failure.", DefaultValueFactory = _ => 300 };
    readonly Option<string[]> _endpoints = new($"--{prefix}endpoint") { Description = "Repeatable: more OpenAI-compatible base URLs serving the same model (our serve, vLLM, TGI); requests are spread over these and the model URL, at most max-concurrency in flight on each, and an endpoint that fails has its pending work moved to the others. Raise --concurrency to use them all.", DefaultValueFactory = _ => [] };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { _keyEnv, _name, _retries, _rps, _concurrency, _timeout, _endpoints }) c.Options.Add(o);
    }

    public ClientOptions Read(ParseResult p) => new ClientOptions
    {
        ApiKeyEnv = p.GetValue(_keyEnv)!, ModelName = p.GetValue(_name), Retries = p.GetValue(_retries), RequestsPerSecond = p.GetValue(_rps),
        MaxConcurrency = p.GetValue(_concurrency), RequestTimeoutSeconds = p.GetValue(_timeout), Endpoints = p.GetValue(_endpoints) ?? [],
    }.Validate();

    /// <summary>Reports on stderr when an endpoint of a pool is dropped and its work moves to the others.</summary>
    public static void ReportFailover(IChatClient client)
    {
        if (client is EndpointPool pool)
            pool.OnEndpointFailed = e => Console.Error.WriteLine($"endpoint {e.Name} failed ({e.Failure?.Message}); its pending requests move to the other endpoints");
    }
}

/// <summary>Opening a judge from --judge: "rule", or a model (URL or folder) with FastChat judge prompts.</summary>
static class Judges
{
    public const string Help = "The judge: \"rule\" (the questions' own rule checks, no model), or an LLM judge: an OpenAI-compatible URL or an ONNX model folder.";

    public static async Task<(IJudge Judge, IChatClient? Client)> OpenAsync(string judge, string? prompts, ClientOptions options, int maxTokens)
    {
        if (judge == "rule") return (new RuleJudge(), null);
        var client = await ChatClients.OpenAsync(judge, options);
        ClientOptionArgs.ReportFailover(client);
        var name = client.GetService<ChatClientMetadata>()?.DefaultModelId ?? Path.GetFileName(judge.TrimEnd('/'));
        // a distilled judge's folder carries the prompts it was trained on (evaluate distill-judge): the default for it
        prompts ??= Directory.Exists(judge) && File.Exists(Path.Combine(judge, Toolkit.Evaluate.Judging.Distill.JudgeDistillData.PromptsFileName))
            ? Path.Combine(judge, Toolkit.Evaluate.Judging.Distill.JudgeDistillData.PromptsFileName) : null;
        return (new LlmJudge(client, name, JudgePrompts.Load(prompts), maxTokens), client);
    }

    public static JudgmentCache? Cache(string? path, bool off) => off ? null : new JudgmentCache(path ?? Path.Combine("judgments", "cache.sqlite"));
}

/// <summary>`toolkit evaluate answer`.</summary>
static class EvaluateAnswerCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "An ONNX model folder (genai_config.json, model.onnx, tokenizer files) or an OpenAI-compatible base URL (http://host:port/v1).", Required = true };
        var questions = new Option<string>("--questions") { Description = "question.jsonl (MT-Bench layout), a .jsonl / .csv prompt list, or \"builtin\" (the embedded bilingual set).", DefaultValueFactory = _ => QuestionSet.BuiltIn };
        var output = new Option<string>("--out") { Description = "The answers file (FastChat model_answer JSONL), e.g. answers/dpo.jsonl; appended one finished question at a time; a rerun skips question ids already in it.", Required = true };
        var modelId = new Option<string?>("--model-id") { Description = "The model_id written in each line (default: the --out file name without extension)." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens per answer turn at most (FastChat's default 1024). 1..32768.", DefaultValueFactory = _ => 1024 };
        var temperature = new Option<double?>("--temperature") { Description = "One temperature for every category instead of FastChat's per-category table (0 = greedy). 0..2." };
        var concurrency = new Option<int>("--concurrency") { Description = "Questions answered at once (each question's turns stay in order). 1..64.", DefaultValueFactory = _ => 1 };
        var seed = new Option<long>("--seed") { Description = "Sampling seed; question i uses seed + i.", DefaultValueFactory = _ => 0 };
        var client = new ClientOptionArgs();
        var command = new Command("answer", "Answer every turn of every question in order (turn 2 after the model's own turn-1 answer), FastChat model_answer layout, per-category temperatures, resumable.")
        {
            model, questions, output, modelId, maxNew, temperature, concurrency, seed,
        };
        client.AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            var options = new AnswerOptions
            {
                Model = parse.GetValue(model)!, Questions = parse.GetValue(questions)!, Out = parse.GetValue(output)!, ModelId = parse.GetValue(modelId),
                MaxNewTokens = parse.GetValue(maxNew), Temperature = parse.GetValue(temperature), Concurrency = parse.GetValue(concurrency), Seed = parse.GetValue(seed),
            }.Validate();
            var qs = QuestionSet.Load(options.Questions);
            var clientOptions = client.Read(parse) with { MaxConcurrency = Math.Max(client.Read(parse).MaxConcurrency, options.Concurrency) };
            using var chat = await ChatClients.OpenAsync(options.Model, clientOptions, cancel);
            ClientOptionArgs.ReportFailover(chat);
            var run = new AnswerRun(chat, options);
            var already = File.Exists(options.Out) ? AnswerRecord.ReadFile(options.Out).Keys.Count(k => qs.Any(q => q.Id == k)) : 0;
            var answered = 0;
            await EvaluateCommand.Progress($"answers ({options.ResolvedModelId})", qs.Count - already, async tick => answered = await run.RunAsync(qs, _ => tick(), cancel));
            Console.WriteLine($"{options.Out}: {answered} questions answered now, {already} already there ({qs.Count} in {options.Questions}).");
            return 0;
        });
        return command;
    }
}
