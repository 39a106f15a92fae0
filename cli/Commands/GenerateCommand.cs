using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Runtime.Generation;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit generate --model DIR (--prompt TEXT ... | --prompts FILE.jsonl | prompts on stdin, one per line) [--out answers.jsonl] [search options]`:
/// answers from ONNX Runtime, one JSON line per prompt in FastChat's model_answer layout (question_id, answer_id,
/// model_id, choices[0].turns[0], tstamp) plus prompt, finish_reason and token counts. --out is written atomically.
/// Input JSONL lines: {"prompt": ...}, or MT-Bench's {"question_id": ..., "turns": [one turn]}; a line with several turns is refused (`evaluate answer` answers those).
/// </summary>
static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX Runtime GenAI model folder (genai_config.json, model.onnx, tokenizer files).", Required = true };
        var prompt = new Option<string[]>("--prompt") { Description = "A prompt (repeat for several).", AllowMultipleArgumentsPerToken = false };
        var prompts = new Option<string?>("--prompts") { Description = "JSONL file of prompts: {\"prompt\": ...} or {\"question_id\": ..., \"turns\": [...]} per line." };
        var output = new Option<string?>("--out") { Description = "Write the answers here (JSONL, atomically) instead of stdout." };
        var raw = new Option<bool>("--raw") { Description = "Encode prompts as plain text (with the tokenizer's BOS) instead of one user turn of the folder's chat template." };
        var system = new Option<string?>("--system") { Description = "A system message before each prompt (chat template only)." };
        var vars = TemplateVarOption.Create();
        var batch = new Option<int>("--batch-size") { Description = "Prompts generated together (padded batch).", DefaultValueFactory = _ => 1 };
        var search = new SearchOptionArgs();
        var command = new Command("generate", "Generate answers with ONNX Runtime from prompts given as arguments or in a JSONL file.")
        {
            model, prompt, prompts, output, raw, system, batch, vars,
        };
        search.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(output) is { } outPath) OutputPaths.RequireFile(outPath, "--out");   // before any work
            Toolkit.Core.Onnx.GenAiGraphCheck.Validate(parse.GetValue(model)!);
            var args = parse.GetValue(prompt) ?? [];
            var file = parse.GetValue(prompts);
            // neither --prompt nor --prompts: prompts from stdin, one per line (a JSON object line is read as --prompts reads it)
            var items = args.Length == 0 && file is null ? (Console.IsInputRedirected ? ReadPrompts(Console.In, "stdin") : []) : ReadPrompts(args, file);
            if (items.Count == 0) throw new ArgumentException("no prompts. HINT: pass --prompt TEXT (repeatable), --prompts FILE.jsonl, or prompts on stdin (one per line)");
            using var m = search.Load(parse, parse.GetValue(model)!);
            var options = new GenerationOptions
            {
                Search = search.Settings(parse), ChatTemplate = parse.GetValue(raw) ? false : null,
                SystemPrompt = parse.GetValue(system), BatchSize = parse.GetValue(batch), TemplateVariables = TemplateVarOption.Parse(parse.GetValue(vars)),
            };
            var results = m.Generate(items.Select(i => i.Prompt).ToArray(), options);
            var modelId = Path.GetFileName(m.Folder.TrimEnd('/'));
            var lines = items.Zip(results, (item, r) => Answer(item.Id, modelId, r)).ToList();
            if (parse.GetValue(output) is { } path) Toolkit.Core.Checkpoints.AtomicFile.WriteAllLines(path, lines);
            else foreach (var l in lines) Console.WriteLine(l);
            return 0;
        });
        return command;
    }

    static string Answer(JsonNode? id, string modelId, GenerationResult r) => new JsonObject
    {
        ["question_id"] = id?.DeepClone(),
        ["answer_id"] = Guid.NewGuid().ToString("N"),
        ["model_id"] = modelId,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["turns"] = new JsonArray(r.Text) }),
        ["tstamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
        ["prompt"] = r.Prompt,
        ["finish_reason"] = r.Finish == FinishReason.Length ? "length" : "stop",
        ["prompt_tokens"] = r.PromptTokens,
        ["completion_tokens"] = r.Tokens.Length,
    }.ToJsonString(Readable);

    /// <summary>Non-ASCII text written as itself (UTF-8), not as \uXXXX escapes: answers stay readable in the file.</summary>
    static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Prompts from stdin: one per line; a line that is a JSON object is read as in --prompts, any other line is the prompt text.</summary>
    internal static List<(JsonNode? Id, string Prompt)> ReadPrompts(TextReader input, string name)
    {
        var items = new List<(JsonNode? Id, string Prompt)>();
        var lineNo = 0;
        for (string? line; (line = input.ReadLine()) != null;)
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            if (line.TrimStart().StartsWith('{')) items.AddRange(ReadPromptLines([line], $"{name} line {lineNo}", items.Count));
            else items.Add((JsonValue.Create(items.Count + 1), line));
        }
        return items;
    }

    static List<(JsonNode? Id, string Prompt)> ReadPrompts(string[] args, string? file)
    {
        var items = args.Select((p, i) => ((JsonNode?)JsonValue.Create(i + 1), p)).ToList();
        if (file is null) return items;
        items.AddRange(ReadPromptLines(File.ReadLines(file), file, items.Count));
        return items;
    }

    static List<(JsonNode? Id, string Prompt)> ReadPromptLines(IEnumerable<string> lines, string file, int before)
    {
        var items = new List<(JsonNode? Id, string Prompt)>();
        var lineNo = 0;
        foreach (var line in lines)
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            JsonObject o;
            try { o = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object"); }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new FormatException($"{file}:{lineNo}: {e.Message}. HINT: each line is {{\"prompt\": \"...\"}} or {{\"question_id\": 1, \"turns\": [\"...\"]}}");
            }
            if (o["turns"] is JsonArray { Count: > 1 } many)
                throw new FormatException($"{file}:{lineNo}: field \"turns\" has {many.Count} turns, and `generate` answers one prompt per line. HINT: answer multi-turn (MT-Bench) questions turn by turn with `toolkit evaluate answer --model DIR --questions {file} --out answers/NAME.jsonl`");
            var text = o["prompt"]?.GetValue<string>() ?? (o["turns"] as JsonArray)?.FirstOrDefault()?.GetValue<string>()
                ?? throw new FormatException($"{file}:{lineNo}: no \"prompt\" string and no \"turns\" list. HINT: each line is {{\"prompt\": \"...\"}} or {{\"question_id\": 1, \"turns\": [\"...\"]}}");
            items.Add((o["question_id"]?.DeepClone() ?? o["id"]?.DeepClone() ?? JsonValue.Create(before + items.Count + 1), text));
        }
        return items;
    }

}

/// <summary>`--device cpu|cuda` (generate, chat, serve).</summary>
static class DeviceOption
{
    public static Option<Device> Create() => new("--device")
    {
        Description = "Where ORT-GenAI runs the model: cpu, or cuda (needs the Microsoft.ML.OnnxRuntimeGenAI.Cuda build).",
        DefaultValueFactory = _ => Toolkit.Runtime.Generation.Device.Cpu,
        CustomParser = r => r.Tokens.Single().Value.ToLowerInvariant() switch
        {
            "cpu" => Toolkit.Runtime.Generation.Device.Cpu,
            "cuda" => Toolkit.Runtime.Generation.Device.Cuda,
            var v => throw new ArgumentException($"--device {v}: use cpu or cuda"),
        },
    };
}

/// <summary>The search options both `generate` and `chat` take; help texts say what SearchOptions documents.</summary>
sealed class SearchOptionArgs
{
    readonly Option<int?> _maxLength = new("--max-length") { Description = "max_length: prompt + generated tokens (default: genai_config.json's, else the context length)." };
    readonly Option<int?> _maxNew = new("--max-new-tokens") { Description = "Generated tokens at most per answer (default 256).", DefaultValueFactory = _ => 256 };
    readonly Option<int?> _minLength = new("--min-length") { Description = "min_length: EOS is blocked until prompt + generated reaches it." };
    readonly Option<bool?> _sample = new("--do-sample") { Description = "Sample (temperature, top-k, top-p) instead of greedy decoding." };
    readonly Option<double?> _temperature = new("--temperature") { Description = "Divide logits by this before the softmax when sampling (> 0)." };
    readonly Option<int?> _topK = new("--top-k") { Description = "Sample among the k most likely tokens (0 = off, 1 = greedy)." };
    readonly Option<double?> _topP = new("--top-p") { Description = "Nucleus sampling: keep tokens until their probability sums to p (0..1; 0 or 1 = off)." };
    readonly Option<double?> _penalty = new("--repetition-penalty") { Description = "Penalize tokens already in the sequence (> 0; 1 = off)." };
    readonly Option<long?> _seed = new("--seed") { Description = "random_seed: the same seed reproduces the same samples." };
    readonly Option<string[]> _stop = new("--stop") { Description = "Stop when the answer's text contains this string (repeatable); the answer ends before it." };
    readonly Option<int?> _threads = new("--threads") { Description = "ONNX Runtime intra-op threads (default: genai_config.json's; 0 = one per physical core)." };
    readonly Option<Device> _device = DeviceOption.Create();

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { _maxLength, _maxNew, _minLength, _sample, _temperature, _topK, _topP, _penalty, _seed, _stop, _threads, _device })
            c.Options.Add(o);
    }

    public int? Threads(ParseResult p) => p.GetValue(_threads);

    public Device Device(ParseResult p) => p.GetValue(_device);

    /// <summary>The model folder loaded with the thread and device options given.</summary>
    public Model Load(ParseResult p, string folder) => new(folder, Threads(p), Device(p));

    public IReadOnlyList<string> Stops(ParseResult p) => p.GetValue(_stop) ?? [];

    /// <summary>The options given, as the typed settings the engine takes (null = the folder's default).</summary>
    public DecodingSettings Settings(ParseResult p) => new()
    {
        MaxLength = p.GetValue(_maxLength), MaxNewTokens = p.GetValue(_maxNew), MinLength = p.GetValue(_minLength),
        DoSample = p.GetValue(_sample), Temperature = p.GetValue(_temperature), TopK = p.GetValue(_topK), TopP = p.GetValue(_topP),
        RepetitionPenalty = p.GetValue(_penalty), RandomSeed = p.GetValue(_seed), StopStrings = Stops(p) is { Count: > 0 } s ? s : null,
    };

    /// <summary>Applies the options given to <paramref name="gp"/>.</summary>
    public void Apply(ParseResult p, GeneratorParams gp) => gp.Apply(Settings(p));

    public override string ToString() => string.Join(", ", SearchOptions.Names.Select(n => n.ToString(CultureInfo.InvariantCulture)));
}
